import { clearAuthCookies, signOut as signOutRequest } from '@behalf/backend'
import type { FastifyReply, FastifyRequest } from 'fastify'

import { getRequestEntry } from './state.js'

/**
 * Revokes the request's session on the Behalf server and deletes the auth cookies on the
 * reply. The cookies are deleted even when the revoke call fails. The error is then rethrown,
 * because the server-side session may still be active.
 */
export async function signOut(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const { state, request: webRequest, options } = getRequestEntry(request, 'signOut(request, reply)')
  const sessionId = state.toAuth().sessionId ?? undefined

  try {
    await signOutRequest(webRequest, { ...options, sessionId })
  } finally {
    for (const cookie of clearAuthCookies(webRequest).getSetCookie()) reply.header('set-cookie', cookie)
  }
}
