import { createAuthenticator, type Authenticator, type AuthObject, type RequestState } from '@behalf/backend'
import type { Context, MiddlewareHandler } from 'hono'
import { env } from 'hono/adapter'
import { createMiddleware } from 'hono/factory'

import {
  appendHeaders,
  getAuth as getRequestAuth,
  getRequestState as getWebRequestState,
  handoffRedirect,
  signOut as signOutRequest,
  type BehalfOptions,
} from './fetch.js'
import { getRequestEntry, hasResponseHeaders, responseHeaders, setRequestEntry } from './state.js'

declare module 'hono' {
  interface ContextVariableMap {
    /** Auth state of the request, set by behalfMiddleware. */
    auth: AuthObject
  }
}

/** Hono environment type for apps that declare their variables: `new Hono<BehalfEnv>()`. */
export interface BehalfEnv {
  Variables: { auth: AuthObject }
}

/**
 * Creates the Hono middleware that authenticates every request with `authenticateRequest` from
 * @behalf/backend. It sets `c.get('auth')` and `c.req.raw.auth`, sends the redirect that follows
 * a handoff, and adds the `Set-Cookie` headers to the response after the handler, including
 * error responses.
 *
 * `secretKey` and `apiUrl` default to `BEHALF_SECRET_KEY` and `BEHALF_API_URL`. Where
 * `process.env` has the secret key when the middleware is created (Node.js, Bun, Deno), both
 * are read then, once. Otherwise they come from Hono's `env(c)` on each request, as on
 * Cloudflare Workers, whose bindings exist only during a request, and a missing secret key
 * throws on the first request, not here.
 */
export function behalfMiddleware(options: BehalfOptions = {}): MiddlewareHandler<BehalfEnv> {
  const authenticatorAtStart = createAuthenticatorAtStart(options)
  let perRequest: { secretKey: string | undefined; apiUrl: string | undefined; authenticate: Authenticator } | undefined

  // Returns the authenticator for a request whose options were not complete at creation. It is
  // created again only when the environment's values change.
  function authenticatorFor(c: Context): { authenticate: Authenticator; options: BehalfOptions } {
    const variables = env<{ BEHALF_SECRET_KEY?: string; BEHALF_API_URL?: string }>(c)
    const secretKey = options.secretKey ?? nonEmpty(variables.BEHALF_SECRET_KEY)
    const apiUrl = options.apiUrl ?? nonEmpty(variables.BEHALF_API_URL)
    if (perRequest === undefined || perRequest.secretKey !== secretKey || perRequest.apiUrl !== apiUrl) {
      perRequest = { secretKey, apiUrl, authenticate: createAuthenticator({ ...options, secretKey, apiUrl }) }
    }
    return { authenticate: perRequest.authenticate, options: { ...options, secretKey, apiUrl } }
  }

  return createMiddleware<BehalfEnv>(async function behalfMiddleware(c, next) {
    const request = c.req.raw
    const { authenticate, options: resolvedOptions } = authenticatorAtStart ?? authenticatorFor(c)

    const result = authenticate(request)
    const state = result instanceof Promise ? await result : result
    const entry = setRequestEntry(request, state, resolvedOptions)
    c.set('auth', state.toAuth())

    if (state.status === 'redirect' && state.redirectUrl !== null) {
      return handoffRedirect(state)
    }

    await next()
    if (!hasResponseHeaders(entry)) return
    const response = appendHeaders(c.res, responseHeaders(entry))
    if (response !== c.res) {
      // Assigning undefined first stops Hono from merging the old response's headers into the
      // copy, which would replace its Set-Cookie values with the old ones.
      c.res = undefined
      c.res = response
    }
  })
}

/**
 * Creates the authenticator when the options or `process.env` give a secret key and the
 * configuration is valid, or returns undefined so that each request reads Hono's `env(c)`.
 */
function createAuthenticatorAtStart(options: BehalfOptions): { authenticate: Authenticator; options: BehalfOptions } | undefined {
  const secretKey = options.secretKey ?? readProcessEnv('BEHALF_SECRET_KEY')
  if (secretKey === undefined) return undefined
  const resolvedOptions: BehalfOptions = { ...options, secretKey, apiUrl: options.apiUrl ?? readProcessEnv('BEHALF_API_URL') }
  try {
    return { authenticate: createAuthenticator(resolvedOptions), options: resolvedOptions }
  } catch {
    // An invalid secret key or API URL throws on the first request, as documented above.
    return undefined
  }
}

function readProcessEnv(name: string): string | undefined {
  const processObject = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
  return nonEmpty(processObject?.env?.[name])
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === '' ? undefined : value
}

/**
 * Returns the auth state of a request that went through {@link behalfMiddleware}. Throws when
 * the middleware did not run, because reading "signed out" there would hide the mistake.
 */
export function getAuth(c: Context): AuthObject {
  return getRequestAuth(c.req.raw)
}

/** Returns the full request state (status, reason, message), for logging why a request is signed out. */
export function getRequestState(c: Context): RequestState {
  return getWebRequestState(c.req.raw)
}

/**
 * Revokes the request's session on the Behalf server. behalfMiddleware then deletes the auth
 * cookies on the response. The error of a failed revoke call is rethrown after the cookies are
 * scheduled for deletion, because the server-side session may still be active.
 */
export async function signOut(c: Context): Promise<void> {
  await signOutRequest(c.req.raw)
}

export interface RequireAuthOptions {
  /** Sign-in page for browser navigations. Defaults to the server's hosted page, `${issuer}/sign-in`. */
  signInUrl?: string
  /**
   * Whether a signed-out browser navigation (a GET or HEAD whose `Accept` header lists
   * `text/html`) is redirected to the sign-in page. Defaults to true. Every other signed-out
   * request gets 401 with `{ "error": "Unauthorized" }`.
   */
  redirectToSignIn?: boolean
}

/**
 * Creates middleware that lets only authenticated requests through. Signed-out browser
 * navigations are redirected to the hosted sign-in page with `redirect_url` set to the current
 * URL, and API calls get a 401 JSON response. Needs {@link behalfMiddleware} before it.
 */
export function requireAuth(options: RequireAuthOptions = {}): MiddlewareHandler<BehalfEnv> {
  const redirectToSignIn = options.redirectToSignIn ?? true

  return createMiddleware<BehalfEnv>(async function requireAuth(c, next) {
    const { state } = getRequestEntry(c.req.raw, 'requireAuth()')
    if (state.toAuth().isAuthenticated) {
      await next()
      return
    }

    if (redirectToSignIn && isBrowserNavigation(c)) {
      const signInUrl = new URL(options.signInUrl ?? state.signInUrl)
      signInUrl.searchParams.set('redirect_url', c.req.url)
      return c.redirect(signInUrl.href, 303)
    }
    return c.json({ error: 'Unauthorized' }, 401)
  })
}

function isBrowserNavigation(c: Context): boolean {
  if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return false
  return (c.req.header('Accept') ?? '').toLowerCase().includes('text/html')
}
