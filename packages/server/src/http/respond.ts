import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

import type { ApiError } from './errors.js'

/**
 * Sends JSON with `Content-Type: application/json` exactly: clients of this wire format
 * compare the header as a string, so it carries no charset parameter.
 */
export function sendJson(c: Context, body: unknown, status: ContentfulStatusCode = 200): Response {
  return c.body(JSON.stringify(body), status, { 'Content-Type': 'application/json' })
}

export function sendApiError(c: Context, error: ApiError): Response {
  for (const [name, value] of Object.entries(error.headers)) c.header(name, value)
  const traceId = c.get('traceId') as string | undefined
  return sendJson(c, { errors: [error.toDetail()], clerk_trace_id: traceId ?? '' }, error.status)
}
