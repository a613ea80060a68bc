export { behalfPlugin, getAuth, getRequestState, type BehalfPluginOptions } from './plugin.js'
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
