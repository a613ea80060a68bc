import type { AuthenticatableRequest } from '@behalf/backend'
import type { Request as ExpressRequest } from 'express'

/**
 * Returns the absolute URL of an Express request. Protocol and host honour the app's
 * `trust proxy` setting the way Express 5's `req.protocol` and `req.host` do, so behind a
 * trusted proxy they come from `X-Forwarded-Proto` and `X-Forwarded-Host`.
 */
export function requestUrl(req: ExpressRequest): URL {
  const host = requestHost(req)
  if (host === undefined) {
    throw new TypeError('The request has no Host header, so its URL and origin are unknown.')
  }
  return new URL(`${req.protocol}://${host}${req.originalUrl}`)
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
export function toWebRequest(req: ExpressRequest, url: URL): Request {
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
export function toAuthenticatableRequest(req: ExpressRequest, url: URL): AuthenticatableRequest {
  const method = FORBIDDEN_FETCH_METHODS.has(req.method.toUpperCase()) ? 'POST' : req.method
  const incoming = req.headers
  return {
    method,
    url: url.href,
    headers: {
      get(name: string): string | null {
        const value = incoming[name.toLowerCase()]
        if (value === undefined) return null
        // Node.js keeps repeated Set-Cookie request headers as an array; Headers.get joins them with ", ".
        return Array.isArray(value) ? value.join(', ') : value
      },
    },
  }
}
