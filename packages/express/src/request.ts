import { fromNodeRequest, nodeToWebRequest, parseRequestOrigin, type AuthenticatableRequest } from '@behalf/backend'
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

/** Builds a Web `Request` with the Express request's URL, method and headers, and no body. */
export function toWebRequest(req: ExpressRequest, url: URL | string): Request {
  return nodeToWebRequest(req.method, url, req.headers)
}

/** Returns the request in the shape `authenticateRequest` reads, without building a Web `Request`. */
export function toAuthenticatableRequest(req: ExpressRequest, href: string): AuthenticatableRequest {
  return fromNodeRequest(req.method, href, req.headers)
}
