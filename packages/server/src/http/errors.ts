import type { ContentfulStatusCode } from 'hono/utils/http-status'

export interface ApiErrorDetail {
  code: string
  message: string
  long_message: string
  meta: Record<string, unknown>
}

/**
 * An error that becomes a Backend API error response:
 * `{ errors: [{ code, message, long_message, meta }], clerk_trace_id }`.
 */
export class ApiError extends Error {
  override name = 'ApiError'

  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly longMessage: string,
    readonly meta: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }

  toDetail(): ApiErrorDetail {
    return { code: this.code, message: this.message, long_message: this.longMessage, meta: this.meta }
  }
}

/** 422 for a field whose value breaks a rule; `paramName` is the field's dotted path in the request. */
export function invalidParam(paramName: string, longMessage: string, code = 'form_param_value_invalid'): ApiError {
  return new ApiError(422, code, `${paramName} is invalid`, longMessage, { param_name: paramName })
}

export function missingParam(paramName: string): ApiError {
  return new ApiError(422, 'form_param_missing', `${paramName} is missing`, `Add ${paramName} to the request body.`, {
    param_name: paramName,
  })
}

export function notFound(resource: string, id: string, paramName?: string): ApiError {
  return new ApiError(
    404,
    'resource_not_found',
    `${resource} not found`,
    `No ${resource} has the id ${JSON.stringify(id)}. Check the id, or list the ${resource}s to find it.`,
    paramName ? { param_name: paramName } : {},
  )
}

/** The one body every unauthenticated Backend API request gets, whichever part of the key was wrong. */
export const UNAUTHORIZED = new ApiError(
  401,
  'authentication_invalid',
  'Unauthorized',
  'Send a valid secret key as "Authorization: Bearer sk_…". Create one with "behalf keys create".',
)

/** Seconds a client should wait before retrying while the database is unreachable. */
export const DATABASE_RETRY_AFTER_SECONDS = 1

export const DATABASE_UNAVAILABLE = new ApiError(
  503,
  'database_unavailable',
  'Service temporarily unavailable',
  `The server cannot reach its database right now. Retry after ${DATABASE_RETRY_AFTER_SECONDS} second.`,
  {},
  { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) },
)
