import { authenticateRequest, HANDOFF_QUERY_PARAM, type AuthObject, type RequestState, type SignedInAuthObject } from '@behalf/backend'
import { redirect } from 'react-router'

import { readEntry, type BehalfOptions, type BehalfRouteArgs } from './state.js'

/**
 * Returns the request's full auth state (status, reason, message), for logging why a request is
 * signed out. `options` apply only without behalfMiddleware, whose own options win otherwise.
 */
export async function getRequestState(args: BehalfRouteArgs, options: BehalfOptions = {}): Promise<RequestState> {
  const entry = readEntry(args.context)
  if (entry !== null) return entry.state
  return authenticateRequest(withoutHandoffCode(args.request), options)
}

/**
 * Returns the auth object of a loader's or action's request: `isAuthenticated`, `userId`,
 * `sessionId`, `actor`, `isAgent`, `permissions`, `has()`.
 *
 * With behalfMiddleware it reads the state the middleware stored. Without it, the request is
 * authenticated here from its cookies or bearer token, and `options` configure that.
 */
export async function getAuth(args: BehalfRouteArgs, options: BehalfOptions = {}): Promise<AuthObject> {
  return (await getRequestState(args, options)).toAuth()
}

/**
 * Returns the auth object of a signed-in request. A signed-out `GET` or `HEAD` throws a 303
 * redirect to the hosted sign-in page with `redirect_url` set to the current URL, and any other
 * signed-out request throws a 401 response with `{ "error": "Unauthorized" }`.
 */
export async function requireAuth(args: BehalfRouteArgs, options: BehalfOptions = {}): Promise<SignedInAuthObject> {
  const state = await getRequestState(args, options)
  const auth = state.toAuth()
  if (auth.isAuthenticated) return auth

  const method = args.request.method.toUpperCase()
  if (method === 'GET' || method === 'HEAD') {
    const signInUrl = new URL(state.signInUrl)
    signInUrl.searchParams.set('redirect_url', (args.url ?? new URL(args.request.url)).href)
    throw redirect(signInUrl.href, 303)
  }
  throw Response.json({ error: 'Unauthorized' }, { status: 401 })
}

/**
 * Returns the request without the handoff code. Without the middleware only rootAuthLoader can
 * send the cookies of an exchanged code, so a loader that runs beside it must not use the code up.
 */
function withoutHandoffCode(request: Request): Request {
  const url = new URL(request.url)
  if (request.method !== 'GET' || !url.searchParams.has(HANDOFF_QUERY_PARAM)) return request

  url.searchParams.delete(HANDOFF_QUERY_PARAM)
  return new Request(url, { method: request.method, headers: request.headers })
}
