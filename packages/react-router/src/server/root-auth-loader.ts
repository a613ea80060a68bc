import { authenticateRequest, type AuthObject } from '@behalf/backend'
import { data } from 'react-router'

import { handoffRedirect } from './middleware.js'
import { readEntry, type BehalfOptions, type BehalfRouteArgs } from './state.js'

/**
 * Authenticates the request in the root route's loader, for apps that do not enable
 * middleware. It throws the redirect that follows a handoff and returns the handler's data
 * with the state's `Set-Cookie` headers, which React Router adds to the response.
 *
 * React Router does not rerun the root loader on every client-side navigation, so a session
 * token refreshed by `getAuth` in another loader is not saved as a cookie until the next
 * request that runs this loader. behalfMiddleware saves it on every request.
 */
export async function rootAuthLoader<Args extends BehalfRouteArgs, Result = null>(
  args: Args,
  handler?: (args: Args & { auth: AuthObject }) => Result | Promise<Result>,
  options: BehalfOptions = {},
) {
  const entry = readEntry(args.context)
  // With behalfMiddleware installed the middleware has authenticated and sends the cookies.
  const state = entry?.state ?? (await authenticateRequest(args.request, options))
  if (state.status === 'redirect' && state.redirectUrl !== null) throw handoffRedirect(state.redirectUrl, state.headers)

  const result = handler === undefined ? null : await handler({ ...args, auth: state.toAuth() })
  return data(result as Result | null, { headers: entry === null ? state.headers : undefined })
}
