import { relativeRedirectLocation, authenticateRequest, createClient } from '@behalf/backend'
import { redirect, type MiddlewareFunction } from 'react-router'

import { behalfContext, type BehalfOptions } from './state.js'

/**
 * Creates the server middleware for the root route. For every request that reaches the server
 * (document requests, `.data` requests and resource routes) it runs `authenticateRequest`
 * from @behalf/backend, stores the state for {@link getAuth}, throws the redirect that
 * follows a handoff, and adds the state's `Set-Cookie` headers to the response.
 *
 * Needs `future.v8_middleware: true` in react-router.config.ts. Throws at once when no secret
 * key is configured, so a misconfigured app fails when the server build is imported.
 */
export function behalfMiddleware(options: BehalfOptions = {}): MiddlewareFunction<Response> {
  createClient({ secretKey: options.secretKey, apiUrl: options.apiUrl })

  return async function behalfMiddleware({ request, context }, next) {
    const state = await authenticateRequest(request, options)
    if (state.status === 'redirect' && state.redirectUrl !== null) throw handoffRedirect(state.redirectUrl, state.headers)

    const entry = { state, request, options, responseHeaders: state.headers }
    context.set(behalfContext, entry)

    const response = await next()
    // signOut may have replaced entry.responseHeaders while the route ran.
    return mergeHeaders(response, entry.responseHeaders)
  }
}

/**
 * Returns the 303 redirect to the request's URL without the handoff code, carrying the new
 * auth cookies on success. The Location is relative, so the browser stays on the host it
 * used whatever Host header arrived.
 */
export function handoffRedirect(redirectUrl: string, headers: Headers): Response {
  return redirect(relativeRedirectLocation(redirectUrl), { status: 303, headers })
}

/**
 * Adds Behalf's headers to a response. A header or cookie value that the route set itself
 * wins: Behalf's `Set-Cookie` values come first (browsers apply them in order), and its other
 * headers are set only where the response has none.
 */
export function mergeHeaders(response: Response, headers: Headers): Response {
  const cookies = headers.getSetCookie()
  const others = [...headers].filter(([name]) => name !== 'set-cookie' && !response.headers.has(name))
  if (cookies.length === 0 && others.length === 0) return response

  // A response from fetch() has immutable headers, so the merge goes into a copy.
  const result = new Response(response.body, response)
  const ownCookies = result.headers.getSetCookie()
  result.headers.delete('Set-Cookie')
  for (const cookie of cookies) {
    if (!ownCookies.includes(cookie)) result.headers.append('Set-Cookie', cookie)
  }
  for (const cookie of ownCookies) result.headers.append('Set-Cookie', cookie)
  for (const [name, value] of others) result.headers.set(name, value)
  return result
}
