import { isBehalfAPIError } from '../errors.js'
import { authenticateWithTokens, createContext, type AuthenticateRequestOptions } from './authenticate.js'
import { clearingCookies, isSecureUrl } from './cookies.js'

export interface SignOutOptions extends AuthenticateRequestOptions {
  /**
   * Session to revoke, when the caller already authenticated the request. Otherwise the
   * request's own session token (or refresh token) is verified to find the session.
   */
  sessionId?: string
}

export interface SignOutResult {
  /** Revoked session, or null when the request had no valid session. */
  sessionId: string | null
  /** `Set-Cookie` headers that delete the session and refresh cookies. */
  headers: Headers
}

/**
 * Revokes the request's session on the server and returns the headers that delete the auth
 * cookies. The session id comes only from a verified token, so a forged cookie cannot make
 * the app revoke someone else's session.
 *
 * A session that is already revoked or gone (404 or 410) counts as signed out. Any other API
 * or network error is thrown; call {@link clearAuthCookies} to delete the cookies anyway.
 */
export async function signOut(request: Request, options: SignOutOptions = {}): Promise<SignOutResult> {
  const context = createContext(request, options)

  let sessionId = options.sessionId ?? null
  if (sessionId === null) {
    const state = await authenticateWithTokens(request, context)
    sessionId = state.toAuth().sessionId
  }

  if (sessionId !== null) {
    try {
      await context.sessions.revoke(sessionId)
    } catch (error) {
      const alreadyEnded = isBehalfAPIError(error) && (error.status === 404 || error.status === 410)
      if (!alreadyEnded) throw error
    }
  }

  return { sessionId, headers: clearAuthCookies(request) }
}

/** Returns headers whose `Set-Cookie` values delete the session and refresh cookies. */
export function clearAuthCookies(request: Request): Headers {
  const headers = new Headers()
  for (const cookie of clearingCookies(isSecureUrl(new URL(request.url)))) headers.append('Set-Cookie', cookie)
  return headers
}
