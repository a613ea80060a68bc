import { clearAuthCookies, signOut as signOutRequest } from '@behalf/backend'

import { readEntry, type BehalfOptions, type BehalfRouteArgs } from './state.js'

/**
 * Revokes the request's session on the Behalf server, so its refresh token stops working, and
 * returns the `Set-Cookie` headers that delete the auth cookies. Send them with the response:
 * `return redirect('/', { headers: await signOut(args) })`.
 *
 * With behalfMiddleware the middleware also deletes the cookies on whatever response follows,
 * even when the revoke call throws. The error is rethrown, because the server-side session may
 * still be active. `options` apply only without the middleware.
 */
export async function signOut(args: BehalfRouteArgs, options: BehalfOptions = {}): Promise<Headers> {
  const entry = readEntry(args.context)
  const request = entry?.request ?? args.request
  const headers = clearAuthCookies(request)
  if (entry !== null) entry.responseHeaders = headers

  await signOutRequest(request, {
    ...(entry?.options ?? options),
    sessionId: entry?.state.toAuth().sessionId ?? undefined,
  })
  return headers
}
