import { relativeRedirectLocation } from '@behalf/backend'
import {
  authenticateRequest,
  clearAuthCookies,
  signOut as signOutRequest,
  type AuthenticateRequestOptions,
  type AuthObject,
  type RequestState,
} from '@behalf/backend'

import { findRequestEntry, getRequestEntry, responseHeaders, setRequestEntry } from './state.js'

/** A Web `Request` after {@link withBehalf} or `behalfMiddleware` authenticated it. */
export type BehalfRequest = Request & {
  /** Auth state of the request, from `authenticateRequest` in @behalf/backend. */
  readonly auth: AuthObject
}

/** Options of `authenticateRequest` from @behalf/backend. */
export type BehalfOptions = AuthenticateRequestOptions

/**
 * Fetch handler that `withBehalf` wraps. It may return a `Response`, or any other value, which
 * becomes the JSON body of a 200 response. `undefined` becomes an empty 204 response.
 */
export type BehalfHandler<Args extends unknown[] = []> = (request: BehalfRequest, ...args: Args) => unknown

/**
 * Wraps a Fetch handler `(request, ...args) => Response` so that `request.auth` contains the auth
 * state. For each request it calls `authenticateRequest` from @behalf/backend, answers the
 * redirect that follows a handoff itself, and adds the `Set-Cookie` headers to the handler's
 * response.
 *
 * `options` may be a function of the handler's arguments, for runtimes that pass the secret key
 * per request, such as Cloudflare Workers' `env`. A missing secret key throws on the first request.
 *
 * When `behalfMiddleware` or an outer `withBehalf` already authenticated the same Request, the
 * handler runs with that state, and the outer one adds the cookies.
 */
export function withBehalf<Args extends unknown[] = []>(
  handler: BehalfHandler<Args>,
  options: BehalfOptions | ((request: Request, ...args: Args) => BehalfOptions) = {},
): (request: Request, ...args: Args) => Promise<Response> {
  return async function behalfHandler(request: Request, ...args: Args): Promise<Response> {
    if (findRequestEntry(request) !== undefined) {
      return toResponse(await handler(request as BehalfRequest, ...args))
    }

    const resolvedOptions = typeof options === 'function' ? options(request, ...args) : options
    const state = await authenticateRequest(request, resolvedOptions)
    const entry = setRequestEntry(request, state, resolvedOptions)

    if (state.status === 'redirect' && state.redirectUrl !== null) {
      return handoffRedirect(state)
    }

    const response = toResponse(await handler(request as BehalfRequest, ...args))
    return appendHeaders(response, responseHeaders(entry))
  }
}

/**
 * Returns the auth state of a request that went through {@link withBehalf} or
 * `behalfMiddleware`, the same object as `request.auth`. Throws when neither ran.
 */
export function getAuth(request: Request): AuthObject {
  return getRequestEntry(request, 'getAuth(request)').state.toAuth()
}

/** Returns the full request state (status, reason, message), for logging why a request is signed out. */
export function getRequestState(request: Request): RequestState {
  return getRequestEntry(request, 'getRequestState(request)').state
}

/**
 * Revokes the request's session on the Behalf server. The wrapper or middleware that
 * authenticated the request then deletes the auth cookies on the response, in place of any
 * refreshed cookies. The cookies are deleted even when the revoke call fails. The error is then
 * rethrown, because the server-side session may still be active.
 */
export async function signOut(request: Request): Promise<void> {
  const entry = getRequestEntry(request, 'signOut(request)')
  const sessionId = entry.state.toAuth().sessionId ?? undefined

  try {
    await signOutRequest(request, { ...entry.options, sessionId })
  } finally {
    entry.signOutHeaders = clearAuthCookies(request)
  }
}

/** Builds the 303 response that removes the handoff code from the address bar. */
export function handoffRedirect(state: RequestState): Response {
  const headers = new Headers(state.headers)
  // A relative Location keeps the redirect on the host the browser used, whatever Host header came in.
  headers.set('Location', relativeRedirectLocation(state.redirectUrl as string))
  return new Response(null, { status: 303, headers })
}

function toResponse(value: unknown): Response {
  if (isResponse(value)) return value
  if (value === undefined) return new Response(null, { status: 204 })
  return Response.json(value)
}

/**
 * Returns whether a value is a Fetch `Response`. `instanceof` alone misses responses of another
 * class: @hono/node-server 1.19 replaces the global `Response` with a subclass, whose inherited
 * `Response.json()` still returns instances of the original class.
 */
function isResponse(value: unknown): value is Response {
  return value instanceof Response || Object.prototype.toString.call(value) === '[object Response]'
}

/**
 * Adds `Set-Cookie` and other headers to a response. Responses from `fetch()` or
 * `Response.redirect()` have immutable headers, so those are copied first.
 */
export function appendHeaders(response: Response, headers: Headers): Response {
  if (isEmpty(headers)) return response
  // A 101 Switching Protocols response (a WebSocket upgrade) cannot be copied and takes no cookies.
  if (response.status === 101) return response

  try {
    copyHeaders(headers, response.headers)
    return response
  } catch (error) {
    if (!(error instanceof TypeError)) throw error
  }

  // A new Headers object, because `new Response(body, response)` under @hono/node-server 1.19
  // keeps the original, immutable one.
  const copy = new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers: new Headers(response.headers),
  })
  copyHeaders(headers, copy.headers)
  return copy
}

function copyHeaders(from: Headers, to: Headers): void {
  for (const cookie of from.getSetCookie()) to.append('Set-Cookie', cookie)
  for (const [name, value] of from) {
    if (name !== 'set-cookie') to.set(name, value)
  }
}

function isEmpty(headers: Headers): boolean {
  return headers.keys().next().done === true
}
