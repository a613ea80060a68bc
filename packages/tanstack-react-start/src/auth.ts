import type { AuthObject, RequestState } from '@behalf/backend'

import { getBehalfContext } from './context.js'

/**
 * Returns the auth object of the current request. Call it on the server while Start handles a
 * request: in a server route handler, a server function, or a loader during server rendering.
 * Throws when `behalfMiddleware` is not in the `requestMiddleware` of `createStart`.
 */
export async function auth(): Promise<AuthObject> {
  return getBehalfContext('auth()').requestState.toAuth()
}

/** Returns the full request state (status, reason, message), for logging why a request is signed out. */
export async function getRequestState(): Promise<RequestState> {
  return getBehalfContext('getRequestState()').requestState
}
