import { clearAuthCookies, signOut as signOutRequest } from '@behalf/backend'

import { getRequestEntry } from './state.js'

/**
 * Revokes the request's session on the Behalf server, so its refresh token stops working, and
 * makes the middleware delete the auth cookies on the response that the route returns.
 *
 * The session id comes from the verified token only. The cookies are deleted even when the
 * revoke call fails, but the error is rethrown, because the server-side session may still be
 * active: catch it to still return a response that deletes them.
 */
export async function signOut(context: { locals: object }): Promise<{ sessionId: string | null }> {
  const entry = getRequestEntry(context.locals, 'signOut(context)')
  const sessionId = entry.state.toAuth().sessionId ?? undefined

  entry.responseHeaders = clearAuthCookies(entry.request)
  const result = await signOutRequest(entry.request, { ...entry.options, sessionId })
  return { sessionId: result.sessionId }
}
