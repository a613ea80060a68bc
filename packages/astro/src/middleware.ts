import './env.js'

import { relativeRedirectLocation, authenticateRequest, type AuthObject, type AuthenticateRequestOptions } from '@behalf/backend'
import type { MiddlewareHandler } from 'astro'

import { setRequestEntry, type RequestEntry } from './state.js'

export type BehalfMiddlewareOptions = AuthenticateRequestOptions

/**
 * Creates the Astro middleware that authenticates every on-demand rendered request with
 * `authenticateRequest` from @behalf/backend. It sets `context.locals.auth`, returns the
 * redirect that follows a handoff, and appends the `Set-Cookie` headers of a handoff, a refresh
 * or a sign-out to the response.
 *
 * A missing secret key is reported on the first request, because Astro loads middleware lazily
 * and also imports it at build time to prerender pages, when the secret key may be absent.
 */
export function behalfMiddleware(options: BehalfMiddlewareOptions = {}): MiddlewareHandler {
  return async function behalfMiddleware(context, next) {
    // Prerendered pages run at build time, with no cookies or headers to authenticate.
    if (context.isPrerendered) {
      context.locals.auth = authOnPrerenderedPage
      return next()
    }

    warnIfHostIgnored(context.request, context.url)
    const state = await authenticateRequest(context.request, options)
    const entry: RequestEntry = { state, request: context.request, options, responseHeaders: null }
    setRequestEntry(context.locals, entry)
    context.locals.auth = () => state.toAuth()

    if (state.status === 'redirect' && state.redirectUrl !== null) {
      // A relative Location keeps the browser on the host it used, whatever Host header came in.
      const headers = new Headers(state.headers)
      headers.set('Location', relativeRedirectLocation(state.redirectUrl))
      return new Response(null, { status: 303, headers })
    }

    const response = await next()
    return withHeaders(response, entry.responseHeaders ?? state.headers)
  }
}

let hostWarningShown = false

/**
 * Warns once when Astro built the request URL without the `Host` header. Since Astro 5.17.2 the
 * Node adapter uses the `Host` header only when it matches `security.allowedDomains`, and
 * otherwise builds `http://localhost/…`. Behalf would then exchange handoff codes and check
 * tokens for the wrong origin, so every sign-in would fail without another clue.
 */
function warnIfHostIgnored(request: Request, url: URL): void {
  if (hostWarningShown) return
  const host = request.headers.get('host')
  if (url.host !== 'localhost' || host === null || host === 'localhost') return

  hostWarningShown = true
  const hostname = URL.canParse(`http://${host}`) ? new URL(`http://${host}`).hostname : host
  console.warn(
    `[@behalf/astro] Astro ignored the Host header "${host}" and used ${url.origin} as the request's origin, ` +
      'so Behalf cannot complete sign-ins for the origin the browser uses. Add the host to security.allowedDomains ' +
      `in astro.config, such as allowedDomains: [{ hostname: '${hostname}' }].`,
  )
}

function authOnPrerenderedPage(): AuthObject {
  throw new Error(
    'context.locals.auth() was called on a prerendered page, which is rendered at build time without a request. ' +
      'Add `export const prerender = false` to the page, or set `output: "server"` in astro.config.',
  )
}

/**
 * Adds the headers to the response, appending `Set-Cookie` values and setting the others. A
 * response with immutable headers, such as `Response.redirect()` or a `fetch()` result, is
 * copied first.
 */
function withHeaders(response: Response, headers: Headers): Response {
  const cookies = headers.getSetCookie()
  const otherHeaders = [...headers].filter(([name]) => name !== 'set-cookie')
  if (cookies.length === 0 && otherHeaders.length === 0) return response

  const apply = (target: Headers) => {
    for (const cookie of cookies) target.append('Set-Cookie', cookie)
    for (const [name, value] of otherHeaders) target.set(name, value)
  }

  try {
    apply(response.headers)
    return response
  } catch (error) {
    // Immutable headers throw on the first change, so nothing was applied yet.
    if (!(error instanceof TypeError)) throw error
    const copy = new Response(response.body, response)
    apply(copy.headers)
    return copy
  }
}
