// The request's auth object as JSON, for agents and tests that call the app's API.
export default defineEventHandler((event) => {
  const { isAuthenticated, userId, sessionId, actor, isAgent, permissions } = event.context.auth()
  if (!isAuthenticated) {
    throw createError({ statusCode: 401, statusMessage: 'Unauthorized' })
  }

  return { userId, sessionId, actor, isAgent, permissions }
})
