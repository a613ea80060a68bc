import { createHandoffsApi, type HandoffsApi } from '../api/handoffs.js'
import { createApiRequester } from '../api/request.js'
import { createSessionsApi, type SessionsApi } from '../api/sessions.js'
import { resolveApiUrl, resolveSecretKey, stripTrailingSlashes } from '../config.js'
import { HANDOFF_QUERY_PARAM, REFRESH_COOKIE_NAME, SESSION_COOKIE_NAME } from '../constants.js'
import { isBehalfAPIError, isBehalfNetworkError, isTokenVerificationError } from '../errors.js'
import type { SessionClaims } from '../tokens/claims.js'
import { verifyToken, type VerifyTokenOptions } from '../tokens/verify.js'
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
  url: URL
  secure: boolean
  verifyOptions: VerifyTokenOptions
  handoffs: HandoffsApi
  sessions: SessionsApi
  signInUrl: string
}

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
  const context = createContext(request, options)

  if (request.method === 'GET' && hasQueryParam(context.url, HANDOFF_QUERY_PARAM)) {
    return exchangeHandoff(context)
  }
  return authenticateWithTokens(request, context)
}

export function createContext(request: AuthenticatableRequest, options: AuthenticateRequestOptions): AuthenticateContext {
  const apiUrl = resolveApiUrl(options.apiUrl)
  const secretKey = resolveSecretKey(options.secretKey)
  const url = new URL(request.url)
  const issuer = stripTrailingSlashes(options.issuer ?? apiUrl)

  // Most requests carry a valid session token and call no API, so the API clients are built
  // on first use.
  let handoffs: HandoffsApi | undefined
  let sessions: SessionsApi | undefined

  return {
    url,
    secure: isSecureUrl(url),
    verifyOptions: {
      apiUrl,
      issuer,
      authorizedParties: options.authorizedParties ?? [url.origin],
      jwtKey: options.jwtKey,
    },
    get handoffs() {
      handoffs ??= createHandoffsApi(createApiRequester({ apiUrl, secretKey }))
      return handoffs
    },
    get sessions() {
      sessions ??= createSessionsApi(createApiRequester({ apiUrl, secretKey }))
      return sessions
    },
    signInUrl: options.signInUrl ?? `${issuer}/sign-in`,
  }
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
    tokens = await context.handoffs.exchange({ code, origin: context.url.origin })
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
  const bearerToken = readBearerToken(request.headers.get('Authorization'))
  if (bearerToken !== undefined) {
    try {
      const claims = await verifyToken(bearerToken, context.verifyOptions)
      return buildState(context, {
        status: 'signed-in',
        reason: 'session-token-valid',
        auth: signedInAuthObject(claims, bearerToken),
      })
    } catch (error) {
      if (!isTokenVerificationError(error)) throw error
      return buildState(context, { status: 'signed-out', reason: 'bearer-token-invalid', message: error.message })
    }
  }

  const cookieHeader = request.headers.get('Cookie')
  const sessionToken = readCookie(cookieHeader, SESSION_COOKIE_NAME)
  const refreshToken = readCookie(cookieHeader, REFRESH_COOKIE_NAME)

  // A token that fails verification for any reason (expired, bad signature, another issuer or
  // app) is treated as absent, because the app never trusts a cookie it did not set.
  let verificationMessage: string | null = null
  if (sessionToken !== undefined && sessionToken !== '') {
    try {
      const claims = await verifyToken(sessionToken, context.verifyOptions)
      return buildState(context, {
        status: 'signed-in',
        reason: 'session-token-valid',
        auth: signedInAuthObject(claims, sessionToken),
      })
    } catch (error) {
      if (!isTokenVerificationError(error)) throw error
      verificationMessage = error.message
    }
  }

  if (refreshToken === undefined || refreshToken === '') {
    return verificationMessage === null
      ? buildState(context, { status: 'signed-out', reason: 'session-token-missing' })
      : buildState(context, { status: 'signed-out', reason: 'session-token-invalid', message: verificationMessage })
  }
  return refreshSession(context, refreshToken)
}

async function refreshSession(context: AuthenticateContext, refreshToken: string): Promise<RequestState> {
  let sessionToken: string
  try {
    const refreshed = await context.sessions.refresh({ refreshToken, origin: context.url.origin })
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
  },
): RequestState {
  const auth = fields.auth ?? signedOutAuthObject()
  return {
    status: fields.status,
    reason: fields.reason,
    message: fields.message ?? null,
    headers: fields.headers ?? new Headers(),
    redirectUrl: fields.redirectUrl ?? null,
    signInUrl: context.signInUrl,
    toAuth: () => auth,
  }
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
