import { API_REQUEST_TIMEOUT_MS } from './constants.js'

/**
 * Error classes thrown by @behalf/backend. Each class has a stable `code` so that callers can
 * tell errors apart even when two copies of this package are loaded and `instanceof` fails.
 */

export type BehalfErrorCode =
  | 'ERR_BEHALF_CONFIGURATION'
  | 'ERR_BEHALF_API_RESPONSE'
  | 'ERR_BEHALF_NETWORK'
  | 'ERR_BEHALF_TOKEN_VERIFICATION'

/** Base class of every error this package throws on purpose. */
export class BehalfError extends Error {
  readonly code: BehalfErrorCode

  constructor(code: BehalfErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/** Missing or invalid configuration, such as an absent secret key or a malformed API URL. */
export class BehalfConfigurationError extends BehalfError {
  constructor(message: string) {
    super('ERR_BEHALF_CONFIGURATION', message)
  }
}

/** Metadata of one API error. `paramName` names the invalid request field, when there is one. */
export interface BehalfAPIErrorMeta {
  paramName?: string
  /** Any other `meta` fields, kept as the server sent them. */
  [key: string]: unknown
}

/** One entry of the `errors` array of a Backend API error response. */
export interface BehalfAPIErrorEntry {
  code: string
  message: string
  longMessage: string | null
  meta: BehalfAPIErrorMeta
}

/** A Backend API response with a non-2xx status, or a 2xx response whose body is not valid JSON. */
export class BehalfAPIError extends BehalfError {
  readonly status: number
  readonly errors: BehalfAPIErrorEntry[]
  /** Value of the response's `clerk_trace_id` field, to quote when reporting a server problem. */
  readonly traceId: string | null
  /** Seconds to wait before retrying, from the `Retry-After` header of a 429 response. */
  readonly retryAfter: number | null

  constructor(
    message: string,
    details: {
      status: number
      errors: BehalfAPIErrorEntry[]
      traceId: string | null
      retryAfter: number | null
    },
  ) {
    super('ERR_BEHALF_API_RESPONSE', message)
    this.status = details.status
    this.errors = details.errors
    this.traceId = details.traceId
    this.retryAfter = details.retryAfter
  }
}

/** A request to the Backend API that got no HTTP response: connection refused, DNS failure, reset. */
export class BehalfNetworkError extends BehalfError {
  readonly method: string
  /** URL of the failed request. It never contains the secret key, which travels in a header. */
  readonly url: string

  constructor(method: string, url: string, cause: unknown) {
    const timedOut = cause instanceof Error && cause.name === 'TimeoutError'
    const detail = timedOut ? `timed out after ${API_REQUEST_TIMEOUT_MS} ms` : describeCause(cause)
    super(
      'ERR_BEHALF_NETWORK',
      `${method} ${url} failed before a response arrived (${detail}). ` +
        'Check that the Behalf server is running and that apiUrl or BEHALF_API_URL points to it.',
      { cause },
    )
    this.method = method
    this.url = url
  }
}

// fetch in Node wraps the socket error (ECONNREFUSED, ENOTFOUND) as the cause of a generic TypeError.
export function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause)
  const inner = cause.cause instanceof Error ? `: ${cause.cause.message}` : ''
  return `${cause.message}${inner}`
}

/** Reason codes of {@link TokenVerificationError}. */
export type TokenVerificationErrorReason =
  | 'token-malformed'
  | 'token-invalid-algorithm'
  | 'token-invalid-signature'
  | 'token-expired'
  | 'token-not-active-yet'
  | 'token-invalid-issuer'
  | 'token-invalid-authorized-party'
  | 'token-invalid-session-status'
  | 'token-missing-claim'
  | 'jwk-not-found'
  | 'jwk-invalid'
  | 'jwks-fetch-failed'

/** A session token that failed verification, with a `reason` code saying which check failed. */
export class TokenVerificationError extends BehalfError {
  readonly reason: TokenVerificationErrorReason

  constructor(reason: TokenVerificationErrorReason, message: string, options?: { cause?: unknown }) {
    super('ERR_BEHALF_TOKEN_VERIFICATION', message, options)
    this.reason = reason
  }
}

function hasCode(error: unknown, code: BehalfErrorCode): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === code
}

export function isBehalfAPIError(error: unknown): error is BehalfAPIError {
  return hasCode(error, 'ERR_BEHALF_API_RESPONSE')
}

export function isBehalfNetworkError(error: unknown): error is BehalfNetworkError {
  return hasCode(error, 'ERR_BEHALF_NETWORK')
}

export function isTokenVerificationError(error: unknown): error is TokenVerificationError {
  return hasCode(error, 'ERR_BEHALF_TOKEN_VERIFICATION')
}
