import { createHandoffsApi, type HandoffsApi } from '../api/handoffs.js'
import { createApiRequester } from '../api/request.js'
import { createSessionsApi, type SessionsApi } from '../api/sessions.js'
import { resolveApiUrl, resolveSecretKey, stripTrailingSlashes } from '../config.js'
import { HANDOFF_QUERY_PARAM, REFRESH_COOKIE_NAME, SESSION_COOKIE_NAME } from '../constants.js'
import { isBehalfAPIError, isBehalfNetworkError, isTokenVerificationError, type TokenVerificationError } from '../errors.js'
import type { SessionClaims } from '../tokens/claims.js'
import { verifyToken, verifyTokenEagerly, type VerifyTokenOptions } from '../tokens/verify.js'
import { signedInAuthObject, signedOutAuthObject, type AuthObject } from './auth-object.js'
import { clearingCookies, isSecureUrl, readCookie, refreshCookie, sessionCookie } from './cookies.js'
import { warnRateLimited } from './warnings.js'

export interface AuthenticateRequestOptions {
  /** Secret key for the handoff exchange and refresh calls. Defaults to `BEHALF_SECRET_KEY`. */
  secretKey?: string
  /** Behalf server URL. Defaults to `BEHALF_API_URL`, then `http://localhost:4000`. */
  apiUrl?: string
  /** Expected `iss` of session tokens: the server's public URL. Defaults to `apiUrl`. */
  issuer?: string
  /**
   * Origins whose session tokens this app accepts (checked against `azp`). Defaults to the
   * origin of the request URL. An empty array turns the check off.
   */
  authorizedParties?: readonly string[]
  /** PEM public key of the server, to verify session tokens without fetching the JWKS. */
  jwtKey?: string
  /** Hosted sign-in page for signed-out visitors. Defaults to `${issuer}/sign-in`. */
  signInUrl?: string
}

export type RequestStatus = 'signed-in' | 'signed-out' | 'redirect'

/** Reason a request ended in its state. */
export type RequestStateReason =
  /** The handoff code was exchanged and the cookies are set. The redirect drops the code from the URL. */
  | 'handoff-exchanged'
  /** The handoff code was missing, invalid, used or expired, or the exchange failed. No cookies are set. */
  | 'handoff-failed'
  /** The session token verified. */
  | 'session-token-valid'
  /** The session token was expired, missing or invalid, and the refresh token got a new one. */
  | 'session-refreshed'
  /** There is no session token and no refresh token. */
  | 'session-token-missing'
  /** The session token failed verification and there is no refresh token to replace it. */
  | 'session-token-invalid'
  /** The `Authorization: Bearer` token failed verification. Cookies are not consulted. */
  | 'bearer-token-invalid'
  /** The server rejected the refresh token (revoked or ended session, banned or deleted user), so both cookies are cleared. */
  | 'refresh-token-rejected'
  /** The refresh call failed with a 5xx, a 429 or a network error. The cookies are kept for the next request. */
  | 'refresh-failed'

/** Outcome of {@link authenticateRequest}. */
export interface RequestState {
  status: RequestStatus
  reason: RequestStateReason
  /** Detail of a failure, for logs. It never contains a token or key. */
  message: string | null
  /** Headers to add to the response: `Set-Cookie` values, and `Cache-Control` on a redirect. */
  headers: Headers
  /** Absolute URL to redirect to when `status` is `'redirect'`. */
  redirectUrl: string | null
  /** Hosted sign-in page, for adapters that send signed-out visitors to it. */
  signInUrl: string
  toAuth(): AuthObject
}

/**
 * The parts of a request that authentication reads. A Fetch `Request` has them, and adapters
 * may pass a lighter object that reads their framework's request.
 */
export interface AuthenticatableRequest {
  method: string
  /** Absolute URL of the request. */
  url: string
  headers: { get(name: string): string | null }
}

interface AuthenticateContext {
  /** The request URL, parsed when first read: only the handoff exchange needs more than the origin. */
  readonly url: URL
  origin: string
  secure: boolean
  verifyOptions: VerifyTokenOptions
  handoffs: HandoffsApi
  sessions: SessionsApi
  signInUrl: string
}

/** Options of {@link authenticateRequest} with the defaults and environment variables applied. */
interface ResolvedOptions {
  apiUrl: string
  secretKey: string
  issuer: string
  authorizedParties: readonly string[] | undefined
  jwtKey: string | undefined
  signInUrl: string
}

/**
 * Authenticates a request: the function that {@link createAuthenticator} returns. It returns
 * the state without a promise when nothing had to wait, as for a session token in the
 * verified-claims cache.
 */
export type Authenticator = (request: AuthenticatableRequest) => RequestState | Promise<RequestState>

/**
 * Authenticates a request from its handoff code, `Authorization: Bearer` token or auth cookies,
 * refreshing an expired session token when a refresh token is present.
 *
 * Throws only on configuration errors such as a missing secret key. Every failure of the
 * handoff code or of a token yields a signed-out state instead.
 */
export async function authenticateRequest(
  request: AuthenticatableRequest,
  options: AuthenticateRequestOptions = {},
): Promise<RequestState> {
  return createAuthenticator(options)(request)
}

/**
 * Resolves the options once (including `BEHALF_SECRET_KEY` and `BEHALF_API_URL`, read now) and
 * returns a function that authenticates each request as {@link authenticateRequest} does.
 * Framework adapters create one per middleware, so that no request reads the environment or
 * validates the options again.
 *
 * @throws {BehalfConfigurationError} when the secret key is missing or invalid, or the API URL is invalid.
 */
export function createAuthenticator(options: AuthenticateRequestOptions = {}): Authenticator {
  const resolved = resolveOptions(options)
  // With the default authorized party, every request origin gets its own verify options, kept
  // here so that signed-in requests reuse them. The map is emptied when full.
  const verifyOptionsByOrigin = new Map<string, VerifyTokenOptions>()

  return function authenticate(request: AuthenticatableRequest): RequestState | Promise<RequestState> {
    const { origin, secure } = parseRequestOrigin(request.url)
    let verifyOptions = verifyOptionsByOrigin.get(origin)
    if (verifyOptions === undefined) {
      verifyOptions = createVerifyOptions(resolved, origin)
      if (verifyOptionsByOrigin.size >= MAX_CACHED_ORIGINS) verifyOptionsByOrigin.clear()
      verifyOptionsByOrigin.set(origin, verifyOptions)
    }
    const context = createContextFromResolved(request.url, origin, secure, verifyOptions, resolved)

    if (request.method === 'GET' && mayHaveQueryParam(request.url, HANDOFF_QUERY_PARAM) && hasQueryParam(context.url, HANDOFF_QUERY_PARAM)) {
      return exchangeHandoff(context)
    }
    return authenticateWithTokensEagerly(request, context)
  }
}

function resolveOptions(options: AuthenticateRequestOptions): ResolvedOptions {
  const apiUrl = resolveApiUrl(options.apiUrl)
  const secretKey = resolveSecretKey(options.secretKey)
  const issuer = stripTrailingSlashes(options.issuer ?? apiUrl)
  return {
    apiUrl,
    secretKey,
    issuer,
    authorizedParties: options.authorizedParties,
    jwtKey: options.jwtKey,
    signInUrl: options.signInUrl ?? `${issuer}/sign-in`,
  }
}

function createVerifyOptions(resolved: ResolvedOptions, origin: string): VerifyTokenOptions {
  return {
    apiUrl: resolved.apiUrl,
    issuer: resolved.issuer,
    authorizedParties: resolved.authorizedParties ?? [origin],
    jwtKey: resolved.jwtKey,
  }
}

export function createContext(request: AuthenticatableRequest, options: AuthenticateRequestOptions): AuthenticateContext {
  const resolved = resolveOptions(options)
  const { origin, secure } = parseRequestOrigin(request.url)
  return createContextFromResolved(request.url, origin, secure, createVerifyOptions(resolved, origin), resolved)
}

function createContextFromResolved(
  href: string,
  origin: string,
  secure: boolean,
  verifyOptions: VerifyTokenOptions,
  resolved: ResolvedOptions,
): AuthenticateContext {
  return new RequestContext(href, origin, secure, verifyOptions, resolved)
}

/**
 * Context of one request. A class rather than an object literal with getters, because creating
 * the literal's accessors for every request showed in profiles.
 */
class RequestContext implements AuthenticateContext {
  #url: URL | undefined
  // Most requests carry a valid session token and call no API, so the API clients are built
  // on first use.
  #handoffs: HandoffsApi | undefined
  #sessions: SessionsApi | undefined

  constructor(
    readonly href: string,
    readonly origin: string,
    readonly secure: boolean,
    readonly verifyOptions: VerifyTokenOptions,
    readonly resolved: ResolvedOptions,
  ) {}

  get url(): URL {
    this.#url ??= new URL(this.href)
    return this.#url
  }

  get handoffs(): HandoffsApi {
    this.#handoffs ??= createHandoffsApi(createApiRequester({ apiUrl: this.resolved.apiUrl, secretKey: this.resolved.secretKey }))
    return this.#handoffs
  }

  get sessions(): SessionsApi {
    this.#sessions ??= createSessionsApi(createApiRequester({ apiUrl: this.resolved.apiUrl, secretKey: this.resolved.secretKey }))
    return this.#sessions
  }

  get signInUrl(): string {
    return this.resolved.signInUrl
  }
}

// Origins and schemes by the scheme and authority of request URLs ("https://app.example:8443").
// Apps serve one or a few hosts, so parsing that part once per host replaces a full URL parse
// per request. The map is emptied when full, which bounds it against made-up Host headers.
const parsedOrigins = new Map<string, RequestOrigin>()
const MAX_CACHED_ORIGINS = 100

interface RequestOrigin {
  origin: string
  /** Whether cookies set for this URL get the `Secure` attribute, which is true on https. */
  secure: boolean
}

/**
 * Returns the origin of an absolute request URL and whether it is https, as `new URL(url)`
 * would. Throws a TypeError for a URL that `new URL` rejects.
 */
export function parseRequestOrigin(url: string): RequestOrigin {
  // For http and https, the authority ends at the first "/", "\", "?" or "#" after "//", and
  // the rest of the URL cannot change the origin or make the URL invalid.
  const schemeEnd = url.startsWith('https://') ? 8 : url.startsWith('http://') ? 7 : -1
  if (schemeEnd === -1) {
    const parsed = new URL(url)
    return { origin: parsed.origin, secure: isSecureUrl(parsed) }
  }
  let authorityEnd = url.length
  for (let index = schemeEnd; index < url.length; index++) {
    const code = url.charCodeAt(index)
    // "/", "\", "?", "#"
    if (code === 0x2f || code === 0x5c || code === 0x3f || code === 0x23) {
      authorityEnd = index
      break
    }
  }

  const prefix = url.slice(0, authorityEnd)
  let parsedOrigin = parsedOrigins.get(prefix)
  if (parsedOrigin === undefined) {
    const parsed = new URL(prefix)
    parsedOrigin = { origin: parsed.origin, secure: isSecureUrl(parsed) }
    if (parsedOrigins.size >= MAX_CACHED_ORIGINS) parsedOrigins.clear()
    parsedOrigins.set(prefix, parsedOrigin)
  }
  return parsedOrigin
}

async function exchangeHandoff(context: AuthenticateContext): Promise<RequestState> {
  const code = context.url.searchParams.get(HANDOFF_QUERY_PARAM) ?? ''
  const redirectUrl = removeQueryParam(context.url, HANDOFF_QUERY_PARAM).href
  // The URL still carries the single-use code, so no cache may store this response.
  const headers = new Headers({ 'Cache-Control': 'no-store' })
  const failed = (message: string): RequestState =>
    buildState(context, { status: 'redirect', reason: 'handoff-failed', message, headers, redirectUrl })

  if (code === '') return failed(`The ${HANDOFF_QUERY_PARAM} query parameter is empty.`)

  let tokens: Awaited<ReturnType<HandoffsApi['exchange']>>
  try {
    tokens = await context.handoffs.exchange({ code, origin: context.origin })
  } catch (error) {
    if (!isBehalfAPIError(error) && !isBehalfNetworkError(error)) throw error
    if (!isBehalfAPIError(error) || error.status >= 500 || error.status === 429) {
      warnRateLimited('handoff-exchange', `Handoff exchange failed: ${error.message}`)
    }
    return failed(`Handoff exchange failed: ${error.message}`)
  }

  // The server just issued this token for this origin, so a failure here means the app's
  // issuer, apiUrl or authorizedParties do not match the server's configuration.
  let claims: SessionClaims
  try {
    claims = await verifyToken(tokens.sessionToken, context.verifyOptions)
  } catch (error) {
    if (!isTokenVerificationError(error)) throw error
    warnRateLimited('handoff-token', `The session token from a handoff exchange failed verification: ${error.message}`)
    return failed(`The session token from the handoff exchange failed verification: ${error.message}`)
  }

  headers.append('Set-Cookie', sessionCookie(tokens.sessionToken, context.secure))
  headers.append('Set-Cookie', refreshCookie(tokens.refreshToken, context.secure))
  return buildState(context, {
    status: 'redirect',
    reason: 'handoff-exchanged',
    headers,
    redirectUrl,
    auth: signedInAuthObject(claims, tokens.sessionToken),
  })
}

/** Authenticates from the bearer token or the cookies, refreshing when needed. Ignores any handoff code. */
export async function authenticateWithTokens(request: AuthenticatableRequest, context: AuthenticateContext): Promise<RequestState> {
  return authenticateWithTokensEagerly(request, context)
}

/**
 * Does the work of {@link authenticateWithTokens}, and returns without a promise when the
 * token's verification did not have to wait, as for a token in the verified-claims cache.
 */
function authenticateWithTokensEagerly(request: AuthenticatableRequest, context: AuthenticateContext): RequestState | Promise<RequestState> {
  const bearerToken = readBearerToken(request.headers.get('Authorization'))
  if (bearerToken !== undefined) {
    return settle(
      () => verifyTokenEagerly(bearerToken, context.verifyOptions),
      (claims) => signedInState(context, claims, bearerToken),
      (error) => buildState(context, { status: 'signed-out', reason: 'bearer-token-invalid', message: error.message }),
    )
  }

  const cookieHeader = request.headers.get('Cookie')
  const sessionToken = readCookie(cookieHeader, SESSION_COOKIE_NAME)

  // A token that fails verification for any reason (expired, bad signature, another issuer or
  // app) is treated as absent, because the app never trusts a cookie it did not set.
  if (sessionToken !== undefined && sessionToken !== '') {
    return settle(
      () => verifyTokenEagerly(sessionToken, context.verifyOptions),
      (claims) => signedInState(context, claims, sessionToken),
      (error) => withoutSessionToken(context, cookieHeader, error.message),
    )
  }
  return withoutSessionToken(context, cookieHeader, null)
}

/** Continues without a valid session token: refreshes with the refresh cookie, or returns a signed-out state. */
function withoutSessionToken(
  context: AuthenticateContext,
  cookieHeader: string | null,
  verificationMessage: string | null,
): RequestState | Promise<RequestState> {
  const refreshToken = readCookie(cookieHeader, REFRESH_COOKIE_NAME)
  if (refreshToken === undefined || refreshToken === '') {
    return verificationMessage === null
      ? buildState(context, { status: 'signed-out', reason: 'session-token-missing' })
      : buildState(context, { status: 'signed-out', reason: 'session-token-invalid', message: verificationMessage })
  }
  return refreshSession(context, refreshToken)
}

/**
 * Runs a token verification that may or may not return a promise, and passes its claims or its
 * TokenVerificationError on. Other errors are thrown (or reject the promise) unchanged. A
 * synchronous verification stays synchronous, so a cached token costs no promise turn.
 */
function settle(
  verify: () => SessionClaims | Promise<SessionClaims>,
  onValid: (claims: SessionClaims) => RequestState,
  onInvalid: (error: TokenVerificationError) => RequestState | Promise<RequestState>,
): RequestState | Promise<RequestState> {
  const handleError = (error: unknown): RequestState | Promise<RequestState> => {
    if (!isTokenVerificationError(error)) throw error
    return onInvalid(error)
  }

  let result: SessionClaims | Promise<SessionClaims>
  try {
    result = verify()
  } catch (error) {
    return handleError(error)
  }
  if (result instanceof Promise) return result.then(onValid, handleError)
  return onValid(result)
}

function signedInState(context: AuthenticateContext, claims: SessionClaims, sessionToken: string): RequestState {
  return buildState(context, { status: 'signed-in', reason: 'session-token-valid', claims, sessionToken })
}

async function refreshSession(context: AuthenticateContext, refreshToken: string): Promise<RequestState> {
  let sessionToken: string
  try {
    const refreshed = await context.sessions.refresh({ refreshToken, origin: context.origin })
    sessionToken = refreshed.sessionToken
  } catch (error) {
    if (isBehalfAPIError(error) && error.status >= 400 && error.status < 500 && error.status !== 429) {
      const headers = new Headers()
      for (const cookie of clearingCookies(context.secure)) headers.append('Set-Cookie', cookie)
      return buildState(context, { status: 'signed-out', reason: 'refresh-token-rejected', message: error.message, headers })
    }
    if (isBehalfAPIError(error) || isBehalfNetworkError(error)) {
      warnRateLimited('session-refresh', `Session refresh failed, treating the request as signed out: ${error.message}`)
      return buildState(context, { status: 'signed-out', reason: 'refresh-failed', message: error.message })
    }
    throw error
  }

  let claims: SessionClaims
  try {
    claims = await verifyToken(sessionToken, context.verifyOptions)
  } catch (error) {
    if (!isTokenVerificationError(error)) throw error
    warnRateLimited('refresh-token', `The session token from a refresh failed verification: ${error.message}`)
    return buildState(context, { status: 'signed-out', reason: 'refresh-failed', message: error.message })
  }

  // The refresh cookie is set again so that its 7-day lifetime counts from the last refresh,
  // and a session the server keeps alive longer does not lose its cookie while in use.
  const headers = new Headers()
  headers.append('Set-Cookie', sessionCookie(sessionToken, context.secure))
  headers.append('Set-Cookie', refreshCookie(refreshToken, context.secure))
  return buildState(context, {
    status: 'signed-in',
    reason: 'session-refreshed',
    headers,
    auth: signedInAuthObject(claims, sessionToken),
  })
}

function buildState(
  context: AuthenticateContext,
  fields: {
    status: RequestStatus
    reason: RequestStateReason
    message?: string
    headers?: Headers
    redirectUrl?: string
    auth?: AuthObject
    /** Claims and token of a signed-in state whose auth object is built when first read. */
    claims?: SessionClaims
    sessionToken?: string
  },
): RequestState {
  return new LazyRequestState(fields.status, fields.reason, fields.message ?? null, fields.redirectUrl ?? null, context.signInUrl, fields)
}

/**
 * Request state whose `Headers` object and auth object are created when first read. Most
 * signed-in requests add no header, and building both for each request showed in profiles.
 * Each is created once, so repeated reads return the same object, as before.
 */
class LazyRequestState implements RequestState {
  #headers: Headers | undefined
  #auth: AuthObject | undefined
  readonly #claims: SessionClaims | undefined
  readonly #sessionToken: string

  constructor(
    readonly status: RequestStatus,
    readonly reason: RequestStateReason,
    readonly message: string | null,
    readonly redirectUrl: string | null,
    readonly signInUrl: string,
    fields: { headers?: Headers; auth?: AuthObject; claims?: SessionClaims; sessionToken?: string },
  ) {
    this.#headers = fields.headers
    this.#auth = fields.auth
    this.#claims = fields.claims
    this.#sessionToken = fields.sessionToken ?? ''
  }

  // An own property rather than a method, so that `const { toAuth } = state` keeps working.
  readonly toAuth = (): AuthObject => {
    if (this.#auth === undefined) {
      this.#auth = this.#claims === undefined ? signedOutAuthObject() : signedInAuthObject(this.#claims, this.#sessionToken)
    }
    return this.#auth
  }

  get headers(): Headers {
    this.#headers ??= new Headers()
    return this.#headers
  }

  /** Returns whether the state has response headers, without creating an empty `Headers` object. */
  hasHeaders(): boolean {
    return this.#headers !== undefined && this.#headers.keys().next().done !== true
  }
}

/**
 * Returns whether a request state carries headers for the response, such as `Set-Cookie`.
 * Adapters call it to skip copying headers, which for most signed-in requests are none.
 */
export function hasResponseHeaders(state: RequestState): boolean {
  if (state instanceof LazyRequestState) return state.hasHeaders()
  return state.headers.keys().next().done !== true
}

/**
 * Returns whether the query of a URL may contain the parameter, checked on the text without
 * parsing the URL. False means it certainly does not. A name can also arrive percent-encoded,
 * so any query with a "%" is parsed.
 */
function mayHaveQueryParam(url: string, name: string): boolean {
  const queryStart = url.indexOf('?')
  if (queryStart === -1) return false
  return url.includes(name, queryStart) || url.includes('%', queryStart)
}

/** Returns the token of an `Authorization: Bearer <token>` header, or undefined for any other header. */
export function readBearerToken(header: string | null): string | undefined {
  if (header === null) return undefined
  const match = /^Bearer +(\S+) *$/i.exec(header.trim())
  return match?.[1]
}

function hasQueryParam(url: URL, name: string): boolean {
  return url.searchParams.has(name)
}

/**
 * Returns a copy of the URL without any occurrence of a query parameter. The other parameters
 * keep their exact encoding, which `URLSearchParams.delete` would normalize.
 */
export function removeQueryParam(url: URL, name: string): URL {
  const result = new URL(url.href)
  const pairs = url.search.slice(1).split('&').filter((pair) => pair !== '')
  const remaining = pairs.filter((pair) => {
    const rawName = pair.split('=', 1)[0] ?? ''
    return decodeQueryComponent(rawName) !== name
  })
  result.search = remaining.length === 0 ? '' : `?${remaining.join('&')}`
  return result
}

function decodeQueryComponent(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '))
  } catch {
    return value
  }
}
