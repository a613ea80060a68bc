import type { NextFunction, Request as ExpressRequest, RequestHandler, Response as ExpressResponse } from 'express'

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
 * Creates middleware that lets only authenticated requests through. Signed-out browser
 * navigations are redirected to the hosted sign-in page with `redirect_url` set to the current
 * URL, and API calls get a 401 JSON response. Needs {@link behalfMiddleware} before it.
 */
export function requireAuth(options: RequireAuthOptions = {}): RequestHandler {
  const redirectToSignIn = options.redirectToSignIn ?? true

  return function requireAuth(req: ExpressRequest, res: ExpressResponse, next: NextFunction): void {
    const { state } = getRequestEntry(req, 'requireAuth()')
    if (state.toAuth().isAuthenticated) {
      next()
      return
    }

    if (redirectToSignIn && isBrowserNavigation(req)) {
      const signInUrl = new URL(options.signInUrl ?? state.signInUrl)
      signInUrl.searchParams.set('redirect_url', requestUrl(req).href)
      res.redirect(303, signInUrl.href)
      return
    }
    res.status(401).json({ error: 'Unauthorized' })
  }
}

function isBrowserNavigation(req: ExpressRequest): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false
  return (req.get('Accept') ?? '').toLowerCase().includes('text/html')
}
