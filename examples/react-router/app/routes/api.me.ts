import { getAuth } from '@behalf/react-router/server'

import type { Route } from './+types/api.me'

export async function loader(args: Route.LoaderArgs) {
  const { isAuthenticated, userId, sessionId, actor, isAgent, permissions } = await getAuth(args)
  if (!isAuthenticated) {
    return Response.json({ error: 'Unauthorized' }, { status: 401 })
  }
  return Response.json({ userId, sessionId, actor, isAgent, permissions })
}
