import type { RequestState } from '@behalf/backend'
import type { H3Event } from 'h3'

import { getRequestEntry } from './state.js'

export { behalfClient } from './client.js'
export { signOut } from './sign-out.js'

/**
 * Returns the full request state (status, reason, message, sign-in URL), for logging why a
 * request is signed out or for building a sign-in link. Throws when the module's middleware
 * has not run for this event.
 */
export function getRequestState(event: H3Event): RequestState {
  return getRequestEntry(event, 'getRequestState(event)').state
}

export {
  createClient,
  type Actor,
  type AuthObject,
  type BehalfClient,
  type RequestState,
  type SignedInAuthObject,
  type SignedOutAuthObject,
} from '@behalf/backend'
