export { behalfMiddleware, type BehalfMiddleware, type BehalfMiddlewareContext } from './middleware.js'
export { auth, getRequestState } from './auth.js'
export { behalfClient } from './client.js'
export { signOut } from './sign-out.js'
export { redirectToSignIn, type RedirectToSignInOptions } from './redirect-to-sign-in.js'
export type { BehalfMiddlewareOptions, BehalfRequestContext } from './context.js'

export {
  createClient,
  type Actor,
  type AuthObject,
  type BehalfClient,
  type RequestState,
  type SignedInAuthObject,
  type SignedOutAuthObject,
} from '@behalf/backend'
