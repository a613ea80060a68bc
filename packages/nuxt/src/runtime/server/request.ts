import { getRequestURL, type H3Event } from 'h3'

// Methods the Fetch API's Request constructor rejects. Authentication only distinguishes GET
// from the rest, so these are passed on as POST.
const FORBIDDEN_FETCH_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK'])

/**
 * Builds a Web `Request` with the event's URL, method and headers, and no body, so that the
 * body stays unread for the route. The URL comes from h3's `getRequestURL`, which takes the
 * protocol from `X-Forwarded-Proto: https` and the host from the `Host` header.
 */
export function toWebRequest(event: H3Event): Request {
  const headers = new Headers()
  for (const [name, value] of Object.entries(event.node.req.headers)) {
    // HTTP/2 pseudo-headers such as ":authority" are not valid Fetch header names.
    if (value === undefined || name.startsWith(':')) continue
    if (Array.isArray(value)) {
      for (const item of value) headers.append(name, item)
    } else {
      headers.set(name, value)
    }
  }

  const method = FORBIDDEN_FETCH_METHODS.has(event.method.toUpperCase()) ? 'POST' : event.method
  return new Request(getRequestURL(event), { method, headers })
}
