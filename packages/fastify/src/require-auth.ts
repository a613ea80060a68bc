import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'

import { requestUrl } from './request.js'
import { getRequestEntry } from './state.js'

export interface RequireAuthOptions {
  /** Sign-in page for browser navigations. Defaults to the server's hosted page, `${issuer}/sign-in`. */
  signInUrl?: string
  /**
   * Whether a signed-out browser navigation (a GET or HEAD whose `Accept` header lists
   * `text/html`) is redirected to the sign-in page. Defaults to true. Every other signed-out
   * request gets 401 with `{ "error": "Unauthorized" }`.
   */
  redirectToSignIn?: boolean
}

/**
 * Creates a preHandler hook that lets only authenticated requests through. Signed-out browser
 * navigations are redirected to the hosted sign-in page with `redirect_url` set to the current
 * URL, and API calls get a 401 JSON response. Needs {@link behalfPlugin} registered.
 */
export function requireAuth(options: RequireAuthOptions = {}): preHandlerAsyncHookHandler {
  const redirectToSignIn = options.redirectToSignIn ?? true

  return async function requireAuth(request: FastifyRequest, reply: FastifyReply) {
    const { state } = getRequestEntry(request, 'requireAuth()')
    if (state.toAuth().isAuthenticated) return

    if (redirectToSignIn && isBrowserNavigation(request)) {
      const signInUrl = new URL(options.signInUrl ?? state.signInUrl)
      signInUrl.searchParams.set('redirect_url', requestUrl(request).href)
      return reply.redirect(signInUrl.href, 303)
    }
    return reply.code(401).send({ error: 'Unauthorized' })
  }
}

function isBrowserNavigation(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false
  return (request.headers.accept ?? '').toLowerCase().includes('text/html')
}
