import type { APIRoute } from 'astro'

export const GET: APIRoute = (context) => {
  const { isAuthenticated, userId, sessionId, actor, isAgent, permissions } = context.locals.auth()
  if (!isAuthenticated) {
    return Response.json({ error: 'Unauthorized' }, { status: 401 })
  }
  return Response.json({ userId, sessionId, actor, isAgent, permissions })
}
