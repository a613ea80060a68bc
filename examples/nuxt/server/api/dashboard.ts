import { behalfClient, getRequestState } from '@behalf/nuxt/server'

/** Returns the dashboard page's data. A signed-out request gets 401 with the hosted sign-in page's URL. */
export default defineEventHandler(async (event) => {
  const { isAuthenticated, userId, sessionId, actor } = event.context.auth()
  if (!isAuthenticated) {
    throw createError({ statusCode: 401, statusMessage: 'Unauthorized', data: { signInUrl: getRequestState(event).signInUrl } })
  }

  const user = await behalfClient(event).users.get(userId)
  return { firstName: user.firstName ?? user.username ?? 'there', userId, sessionId, actor }
})
