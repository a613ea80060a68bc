import { parseRequestOrigin, type AuthenticatableRequest } from '@behalf/backend'
import type { FastifyRequest } from 'fastify'

/**
 * Returns the absolute URL of a Fastify request. `request.protocol` and `request.host` honour
 * the server's `trustProxy` setting, so behind a trusted proxy they come from
 * `X-Forwarded-Proto` and `X-Forwarded-Host`. The path is the one the client sent, before any
 * `rewriteUrl`.
 */
export function requestUrl(request: FastifyRequest): URL {
  return new URL(requestHref(request))
}

/**
 * Returns the absolute URL of a Fastify request as text, as {@link requestUrl} builds it,
 * without parsing the whole URL. Throws a TypeError when the URL would be invalid.
 */
export function requestHref(request: FastifyRequest): string {
  const host = request.host
  if (host === '') {
    throw new TypeError('The request has no Host header, so its URL and origin are unknown.')
  }
  const href = `${request.protocol}://${host}${request.originalUrl}`
  // Only the scheme and host can make an http(s) URL invalid, and their parse is cached per host.
  parseRequestOrigin(href)
  return href
}

// Methods the Fetch API's Request constructor rejects. Authentication only distinguishes GET
// from the rest, so these are passed on as POST.
const FORBIDDEN_FETCH_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK'])

/** Builds a Web `Request` with the Fastify request's URL, method and headers, and no body. */
export function toWebRequest(request: FastifyRequest, url: URL | string): Request {
  const headers = new Headers()
  for (const [name, value] of Object.entries(request.headers)) {
    // HTTP/2 pseudo-headers such as ":authority" are not valid Fetch header names.
    if (value === undefined || name.startsWith(':')) continue
    if (Array.isArray(value)) {
      for (const item of value) headers.append(name, item)
    } else {
      headers.set(name, value)
    }
  }

  const method = FORBIDDEN_FETCH_METHODS.has(request.method.toUpperCase()) ? 'POST' : request.method
  return new Request(url, { method, headers })
}

/**
 * Returns the request's URL, method and headers in the shape `authenticateRequest` reads, without
 * building a Web `Request`, whose construction (URL, headers, abort signal) costs more than the
 * authentication of a signed-in request. Header lookups return what `Headers.get` would.
 */
export function toAuthenticatableRequest(request: FastifyRequest, href: string): AuthenticatableRequest {
  return new NodeAuthenticatableRequest(authenticatedMethod(request.method), href, new NodeRequestHeaders(request.headers))
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
  constructor(private readonly incoming: FastifyRequest['headers']) {}

  get(name: string): string | null {
    const value = this.incoming[name.toLowerCase()]
    if (value === undefined) return null
    // Node.js keeps repeated Set-Cookie request headers as an array; Headers.get joins them with ", ".
    return Array.isArray(value) ? value.join(', ') : value
  }
}
