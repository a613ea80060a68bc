export {
  behalfMiddleware,
  getAuth,
  getRequestState,
  requireAuth,
  signOut,
  type BehalfEnv,
  type RequireAuthOptions,
} from './hono.js'
export { withBehalf, type BehalfHandler, type BehalfOptions, type BehalfRequest } from './fetch.js'

export {
  createClient,
  type AuthObject,
  type Actor,
  type BehalfClient,
  type RequestState,
} from '@behalf/backend'
