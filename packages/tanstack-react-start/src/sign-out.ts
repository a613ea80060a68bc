import { clearAuthCookies, signOut as signOutRequest } from '@behalf/backend'

import { getBehalfContext } from './context.js'

/**
 * Revokes the current request's session on the Behalf server and deletes the auth cookies on
 * the response. The cookies are deleted even when the revoke call fails. The error is then
 * rethrown, because the server-side session may still be active.
 */
export async function signOut(): Promise<void> {
  const { requestState, request, options, appendSetCookie } = getBehalfContext('signOut()')
  const sessionId = requestState.toAuth().sessionId ?? undefined

  try {
    await signOutRequest(request, { ...options, sessionId })
  } finally {
    appendSetCookie(clearAuthCookies(request).getSetCookie())
  }
}
