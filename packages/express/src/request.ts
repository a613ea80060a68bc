import { parseRequestOrigin, type AuthenticatableRequest } from '@behalf/backend'
import type { Request as ExpressRequest } from 'express'

/**
 * Returns the absolute URL of an Express request. Protocol and host honour the app's
 * `trust proxy` setting the way Express 5's `req.protocol` and `req.host` do, so behind a
 * trusted proxy they come from `X-Forwarded-Proto` and `X-Forwarded-Host`.
 */
export function requestUrl(req: ExpressRequest): URL {
  return new URL(requestHref(req))
}

/**
 * Returns the absolute URL of an Express request as text, as {@link requestUrl} builds it,
 * without parsing the whole URL. Throws a TypeError when the URL would be invalid.
 */
export function requestHref(req: ExpressRequest): string {
  const host = requestHost(req)
  if (host === undefined) {
    throw new TypeError('The request has no Host header, so its URL and origin are unknown.')
  }
  const href = `${req.protocol}://${host}${req.originalUrl}`
  // Only the scheme and host can make an http(s) URL invalid, and their parse is cached per host.
  parseRequestOrigin(href)
  return href
}

// Express 4's req.host drops the port, so the host is read here as Express 5 reads it.
function requestHost(req: ExpressRequest): string | undefined {
  const trustProxy = req.app.get('trust proxy fn') as ((address: string | undefined, hop: number) => boolean) | undefined
  const forwardedHost = req.get('X-Forwarded-Host')
  if (forwardedHost !== undefined && forwardedHost !== '' && trustProxy?.(req.socket.remoteAddress, 0) === true) {
    return forwardedHost.split(',')[0]?.trim()
  }
  const host = req.get('Host')
  return host === '' ? undefined : host
}

// Methods the Fetch API's Request constructor rejects. Authentication only distinguishes GET
// from the rest, so these are passed on as POST.
const FORBIDDEN_FETCH_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK'])

/** Builds a Web `Request` with the Express request's URL, method and headers, and no body. */
export function toWebRequest(req: ExpressRequest, url: URL | string): Request {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    // HTTP/2 pseudo-headers such as ":authority" are not valid Fetch header names.
    if (value === undefined || name.startsWith(':')) continue
    if (Array.isArray(value)) {
      for (const item of value) headers.append(name, item)
    } else {
      headers.set(name, value)
    }
  }

  const method = FORBIDDEN_FETCH_METHODS.has(req.method.toUpperCase()) ? 'POST' : req.method
  return new Request(url, { method, headers })
}

/**
 * Returns the request's URL, method and headers in the shape `authenticateRequest` reads, without
 * building a Web `Request`, whose construction (URL, headers, abort signal) costs more than the
 * authentication of a signed-in request. Header lookups return what `Headers.get` would.
 */
export function toAuthenticatableRequest(req: ExpressRequest, href: string): AuthenticatableRequest {
  return new NodeAuthenticatableRequest(authenticatedMethod(req.method), href, new NodeRequestHeaders(req.headers))
}

function authenticatedMethod(method: string): string {
  // GET, the common case, skips the upper-casing and the set lookup.
  if (method === 'GET') return method
  return FORBIDDEN_FETCH_METHODS.has(method.toUpperCase()) ? 'POST' : method
}

class NodeAuthenticatableRequest implements AuthenticatableRequest {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly headers: NodeRequestHeaders,
  ) {}
}

/** `Headers.get` over Node.js's incoming headers, whose names are lower-case. */
class NodeRequestHeaders {
  constructor(private readonly incoming: ExpressRequest['headers']) {}

  get(name: string): string | null {
    const value = this.incoming[name.toLowerCase()]
    if (value === undefined) return null
    // Node.js keeps repeated Set-Cookie request headers as an array; Headers.get joins them with ", ".
    return Array.isArray(value) ? value.join(', ') : value
  }
}
