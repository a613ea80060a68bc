import { createHmac } from 'node:crypto'

import { Hono, type Context } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'

import { constantTimeEqual, newSecretToken } from '../crypto/random.js'
import { verifyPassword } from '../crypto/passwords.js'
import { ApiError } from '../http/errors.js'
import { readBodyText } from '../http/input.js'
import type { TokenBucketLimiter } from '../http/rate-limit.js'
import type { AppEnv } from '../http/types.js'
import { signInPage, signUpPage, type FormState } from '../pages/auth-forms.js'
import { messagePage, PAGE_SECURITY_HEADERS } from '../pages/layout.js'
import { checkRedirectUrl, withQueryParameter } from '../redirects.js'
import { recordAudit } from '../services/audit.js'
import type { ServiceContext } from '../services/context.js'
import { HANDOFF_QUERY_PARAMETER, insertHandoffCode, insertSession, PERSON_SESSION_MAX_DURATION_SECONDS } from '../services/sessions.js'
import { createUser, normalizeEmail, validateEmail, validatePassword } from '../services/users.js'

/** The server's own cookie; the `behalf_server_` prefix keeps it apart from the app's `__behalf_*` cookies on a shared host. */
const CSRF_COOKIE = 'behalf_server_csrf'

/**
 * Signed double-submit CSRF tokens (OWASP): the cookie contains `random.hmac`, the form echoes
 * it, and the HMAC proves the server minted the cookie, so a cookie planted by another
 * port of the same host is rejected.
 */
class CsrfTokens {
  constructor(private readonly key: Buffer) {}

  private mac(value: string): string {
    return createHmac('sha256', this.key).update(value).digest('base64url')
  }

  mint(): string {
    const value = newSecretToken()
    return `${value}.${this.mac(value)}`
  }

  isGenuine(token: string | undefined): token is string {
    if (!token) return false
    const [value, mac] = token.split('.')
    return Boolean(value && mac && constantTimeEqual(mac, this.mac(value)))
  }
}

type FormPage = typeof signInPage

/** Hosted `/sign-in` and `/sign-up`: email and password, then the same handoff that agent tasks use. */
export function hostedPageRoutes(ctx: ServiceContext, csrfKey: Buffer, limiter: TokenBucketLimiter) {
  const app = new Hono<AppEnv>()
  const csrf = new CsrfTokens(csrfKey)
  // Read per request: with BEHALF_PORT=0 the public URL is set only once the server listens.
  const secureCookies = () => ctx.config.publicUrl.startsWith('https://')
  const serverOrigin = () => new URL(ctx.config.publicUrl).origin

  function pageHeaders(c: Context) {
    for (const [name, value] of Object.entries(PAGE_SECURITY_HEADERS)) c.header(name, value)
  }

  /** Returns the request's CSRF token, minting and setting a new cookie when it has no genuine one. */
  function csrfTokenFor(c: Context): string {
    const existing = getCookie(c, CSRF_COOKIE)
    if (csrf.isGenuine(existing)) return existing
    const token = csrf.mint()
    setCookie(c, CSRF_COOKIE, token, { httpOnly: true, sameSite: 'Strict', secure: secureCookies(), path: '/' })
    return token
  }

  function resolveRedirect(c: Context, raw: string | undefined): { ok: true; url: URL } | { ok: false; response: Response | Promise<Response> } {
    const candidate = raw || ctx.config.afterSignInUrl
    if (!candidate) {
      const page = messagePage('Missing redirect_url', 'Open this page from your app: the link needs a redirect_url that says where to go after signing in.', 'redirect_url_missing')
      return { ok: false, response: c.html(page, 400) }
    }
    const check = checkRedirectUrl(candidate, ctx.config)
    if (!check.ok) {
      // The public page names no allowed origins: the allow-list is the operator's business.
      const detail = check.reason === 'invalid' ? `The redirect_url ${check.message}.` : 'The page that sent you here is not allowed to receive sign-ins from this server.'
      const page = messagePage('Destination not allowed', detail, check.reason === 'invalid' ? 'redirect_url_invalid' : 'redirect_url_not_allowed')
      return { ok: false, response: c.html(page, 400) }
    }
    return { ok: true, url: check.url }
  }

  function renderForm(page: FormPage) {
    return (c: Context) => {
      pageHeaders(c)
      const redirect = resolveRedirect(c, c.req.query('redirect_url'))
      if (!redirect.ok) return redirect.response
      return c.html(page({ csrfToken: csrfTokenFor(c), redirectUrl: redirect.url.href }))
    }
  }

  /** Reads a form post after checking Origin and the CSRF token; returns null when the check fails. */
  async function readForm(c: Context): Promise<URLSearchParams | null> {
    const origin = c.req.header('origin')
    // The hosted pages send `Referrer-Policy: no-referrer`, under which browsers send `Origin: null`
    // for their own form posts, so `null` passes here and the HMAC-signed CSRF token decides.
    if (origin !== undefined && origin !== 'null' && origin !== serverOrigin()) return null

    let form: URLSearchParams
    try {
      form = new URLSearchParams(await readBodyText(c))
    } catch (error) {
      if (error instanceof ApiError) return null
      throw error
    }
    // PostgreSQL cannot store U+0000 and no form field needs it; such a post is treated as forged.
    for (const value of form.values()) if (value.includes('\u0000')) return null

    const cookie = getCookie(c, CSRF_COOKIE)
    const submitted = form.get('csrf_token') ?? ''
    if (!csrf.isGenuine(cookie) || !constantTimeEqual(cookie, submitted)) return null
    return form
  }

  /** Limits form posts per client address, so passwords cannot be guessed at speed. */
  function rateLimited(c: Context): Response | Promise<Response> | null {
    const retryAfter = limiter.take(c.get('meta').ip ?? 'unknown')
    if (retryAfter === 0) return null
    c.header('Retry-After', String(retryAfter))
    return c.html(messagePage('Too many attempts', `Too many attempts from this address. Try again in ${retryAfter} seconds.`, 'too_many_requests'), 429)
  }

  function csrfFailure(c: Context) {
    return c.html(messagePage('Form expired', 'The form could not be verified. Go back, reload the page and try again.', 'csrf_token_invalid'), 403)
  }

  /** Creates a person's session and its handoff code, then sends the browser back to the app. */
  async function handOff(c: Context, userId: string, redirect: URL, kind: 'user.signed_in' | 'user.signed_up') {
    const now = Date.now()
    const code = await ctx.db.transaction().execute(async (trx) => {
      const sessionId = await insertSession(trx, { userId, actor: null, permissions: ['*'], azp: redirect.origin, maxDurationSeconds: PERSON_SESSION_MAX_DURATION_SECONDS }, now)
      await trx.updateTable('users').set({ last_sign_in_at: now }).where('id', '=', userId).execute()
      await recordAudit(trx, { kind, actorType: 'user', actorId: userId, userId, sessionId }, c.get('meta'))
      await recordAudit(trx, { kind: 'session.created', actorType: 'user', actorId: userId, userId, sessionId }, c.get('meta'))
      return insertHandoffCode(trx, sessionId, redirect.origin, now)
    })
    ctx.logger.info({ userId, kind, traceId: c.get('traceId') }, 'person signed in')
    return c.redirect(withQueryParameter(redirect, HANDOFF_QUERY_PARAMETER, code), 303)
  }

  app.get('/sign-in', renderForm(signInPage))
  app.get('/sign-up', renderForm(signUpPage))

  app.post('/sign-in', async (c) => {
    pageHeaders(c)
    const limited = rateLimited(c)
    if (limited) return limited
    const form = await readForm(c)
    if (!form) return csrfFailure(c)
    const redirect = resolveRedirect(c, form.get('redirect_url') ?? undefined)
    if (!redirect.ok) return redirect.response

    const email = normalizeEmail(form.get('email') ?? '')
    const password = form.get('password') ?? ''
    const state: FormState = { csrfToken: csrfTokenFor(c), redirectUrl: redirect.url.href, email }

    const identifier = await ctx.db
      .selectFrom('user_identifiers')
      .innerJoin('users', 'users.id', 'user_identifiers.user_id')
      .select(['users.id', 'users.password_hash', 'users.banned'])
      .where('user_identifiers.type', '=', 'email_address')
      .where('user_identifiers.value', '=', email)
      .executeTakeFirst()

    // One message for an unknown email and a wrong password, so the form does not reveal who has an account.
    const passwordMatches = password.length <= 256 && (await verifyPassword(identifier?.password_hash ?? null, password))
    if (!identifier || !passwordMatches) {
      await recordAudit(ctx.db, { kind: 'user.sign_in_failed', actorType: 'user', actorId: identifier?.id ?? null, userId: identifier?.id ?? null }, c.get('meta'))
      return c.html(signInPage({ ...state, error: 'The email address or password is incorrect.' }), 401)
    }
    if (identifier.banned === 1) {
      return c.html(signInPage({ ...state, error: 'This account cannot sign in. Contact the app’s support.' }), 403)
    }
    return handOff(c, identifier.id, redirect.url, 'user.signed_in')
  })

  app.post('/sign-up', async (c) => {
    pageHeaders(c)
    const limited = rateLimited(c)
    if (limited) return limited
    const form = await readForm(c)
    if (!form) return csrfFailure(c)
    const redirect = resolveRedirect(c, form.get('redirect_url') ?? undefined)
    if (!redirect.ok) return redirect.response

    const firstName = (form.get('first_name') ?? '').trim()
    const lastName = (form.get('last_name') ?? '').trim()
    const rawEmail = form.get('email') ?? ''
    const password = form.get('password') ?? ''
    const state: FormState = { csrfToken: csrfTokenFor(c), redirectUrl: redirect.url.href, email: rawEmail, firstName, lastName }

    let email: string
    try {
      if (firstName === '' || firstName.length > 256) throw new ApiError(422, 'form_param_value_invalid', 'first name', 'Enter your first name (at most 256 characters).')
      if (lastName.length > 256) throw new ApiError(422, 'form_param_value_invalid', 'last name', 'Your last name can be at most 256 characters long.')
      email = validateEmail('email', rawEmail)
      validatePassword('password', password, false)
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
      return c.html(signUpPage({ ...state, error: error.longMessage }), 422)
    }

    try {
      const user = await createUser(
        ctx,
        {
          emailAddresses: [email],
          phoneNumbers: [],
          username: null,
          password,
          firstName,
          lastName: lastName === '' ? null : lastName,
          externalId: null,
          publicMetadata: {},
          privateMetadata: {},
          unsafeMetadata: {},
          verificationStrategy: null,
        },
        { type: 'user', id: null },
        c.get('meta'),
      )
      return handOff(c, user.id, redirect.url, 'user.signed_up')
    } catch (error) {
      if (error instanceof ApiError && error.code === 'form_identifier_exists') {
        return c.html(signUpPage({ ...state, error: 'An account with this email address already exists. Sign in instead.' }), 422)
      }
      throw error
    }
  })

  return app
}
