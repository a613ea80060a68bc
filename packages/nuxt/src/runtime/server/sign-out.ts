import { clearAuthCookies, signOut as signOutRequest } from '@behalf/backend'
import { appendResponseHeader, type H3Event } from 'h3'

import { getRequestEntry } from './state.js'

/**
 * Revokes the request's session on the Behalf server and deletes the auth cookies on the
 * response. The cookies are deleted even when the revoke call fails. The error is then
 * rethrown, because the server-side session may still be active.
 */
export async function signOut(event: H3Event): Promise<void> {
  const { state, request, options } = getRequestEntry(event, 'signOut(event)')
  const sessionId = state.toAuth().sessionId ?? undefined

  try {
    await signOutRequest(request, { ...options, sessionId })
  } finally {
    for (const cookie of clearAuthCookies(request).getSetCookie()) appendResponseHeader(event, 'set-cookie', cookie)
  }
}
