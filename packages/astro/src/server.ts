import './env.js'

import type { RequestState } from '@behalf/backend'

import { getRequestEntry } from './state.js'

export { behalfMiddleware, type BehalfMiddlewareOptions } from './middleware.js'
export { behalfClient } from './client.js'
export { signOut } from './sign-out.js'

export {
  createClient,
  type Actor,
  type AuthObject,
  type BehalfClient,
  type RequestState,
  type SignedInAuthObject,
  type SignedOutAuthObject,
} from '@behalf/backend'

/** Returns the full request state (status, reason, message), for logging why a request is signed out. */
export function getRequestState(context: { locals: object }): RequestState {
  return getRequestEntry(context.locals, 'getRequestState(context)').state
}

/**
 * Creates a `303 See Other` response to the hosted sign-in page, with `redirect_url` set to the
 * current URL (or `returnUrl`). The Behalf server checks `redirect_url` against its allow-list
 * and hands the session back to it after sign-in.
 */
export function redirectToSignIn(context: { locals: object; url: URL }, options: { returnUrl?: string | URL } = {}): Response {
  const { state } = getRequestEntry(context.locals, 'redirectToSignIn(context)')
  const signInUrl = new URL(state.signInUrl)
  signInUrl.searchParams.set('redirect_url', String(options.returnUrl ?? context.url.href))
  return new Response(null, { status: 303, headers: { Location: signInUrl.href } })
}
