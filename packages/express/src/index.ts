export { behalfMiddleware, getAuth, getRequestState, type BehalfMiddlewareOptions } from './middleware.js'
export { requireAuth, type RequireAuthOptions } from './require-auth.js'
export { behalfClient } from './client.js'
export { signOut } from './sign-out.js'

export {
  createClient,
  type AuthObject,
  type Actor,
  type BehalfClient,
  type RequestState,
} from '@behalf/backend'
