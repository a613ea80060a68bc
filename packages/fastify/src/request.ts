import { fromNodeRequest, nodeToWebRequest, parseRequestOrigin, type AuthenticatableRequest } from '@behalf/backend'
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

/** Builds a Web `Request` with the Fastify request's URL, method and headers, and no body. */
export function toWebRequest(request: FastifyRequest, url: URL | string): Request {
  return nodeToWebRequest(request.method, url, request.headers)
}

/** Returns the request in the shape `authenticateRequest` reads, without building a Web `Request`. */
export function toAuthenticatableRequest(request: FastifyRequest, href: string): AuthenticatableRequest {
  return fromNodeRequest(request.method, href, request.headers)
}
