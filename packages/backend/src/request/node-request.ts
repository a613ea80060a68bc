import type { AuthenticatableRequest } from './authenticate.js'

/** Incoming headers as Node.js's `http` module gives them: lower-case names, arrays for repeats. */
export type NodeIncomingHeaders = Record<string, string | string[] | undefined>

// Methods the Fetch API's Request constructor rejects. Authentication only distinguishes GET
// from the rest, so these are passed on as POST.
const FORBIDDEN_FETCH_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK'])

function authenticatedMethod(method: string): string {
  // GET, the common case, skips the upper-casing and the set lookup.
  if (method === 'GET') return method
  return FORBIDDEN_FETCH_METHODS.has(method.toUpperCase()) ? 'POST' : method
}

/**
 * Returns a Node.js request's URL, method and headers in the shape `authenticateRequest` reads,
 * without building a Web `Request`, whose construction (URL, headers, abort signal) costs more
 * than the authentication of a signed-in request. Adapters for Node.js frameworks (Express,
 * Fastify) share it; it uses no Node.js API, only the headers object's shape.
 */
export function fromNodeRequest(method: string, href: string, headers: NodeIncomingHeaders): AuthenticatableRequest {
  return new NodeAuthenticatableRequest(authenticatedMethod(method), href, new NodeRequestHeaders(headers))
}

/** Builds a Web `Request` with a Node.js request's URL, method and headers, and no body. */
export function nodeToWebRequest(method: string, url: URL | string, incoming: NodeIncomingHeaders): Request {
  const headers = new Headers()
  for (const [name, value] of Object.entries(incoming)) {
    // HTTP/2 pseudo-headers such as ":authority" are not valid Fetch header names.
    if (value === undefined || name.startsWith(':')) continue
    if (Array.isArray(value)) {
      for (const item of value) headers.append(name, item)
    } else {
      headers.set(name, value)
    }
  }
  return new Request(url, { method: authenticatedMethod(method), headers })
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
  constructor(private readonly incoming: NodeIncomingHeaders) {}

  get(name: string): string | null {
    const value = this.incoming[name.toLowerCase()]
    if (value === undefined) return null
    // Node.js keeps repeated request headers as an array; Headers.get joins them with ", ".
    return Array.isArray(value) ? value.join(', ') : value
  }
}
