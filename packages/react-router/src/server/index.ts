export { behalfMiddleware } from './middleware.js'
export { getAuth, getRequestState, requireAuth } from './auth.js'
export { rootAuthLoader } from './root-auth-loader.js'
export { behalfClient } from './client.js'
export { signOut } from './sign-out.js'
export type { BehalfOptions, BehalfRouteArgs } from './state.js'

export {
  clearAuthCookies,
  createClient,
  type Actor,
  type AuthObject,
  type BehalfClient,
  type RequestState,
  type SignedInAuthObject,
  type SignedOutAuthObject,
} from '@behalf/backend'
