import { signOut } from '@behalf/nuxt/server'

// A POST, because SameSite=Lax cookies reach a GET from a link on another site but not a
// cross-site POST, so other sites cannot sign the user out.
export default defineEventHandler(async (event) => {
  await signOut(event)
  return sendRedirect(event, '/', 303)
})
