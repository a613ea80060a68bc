import { createFileRoute } from '@tanstack/react-router'
import { json } from '@tanstack/react-start'
import { auth } from '@behalf/tanstack-react-start/server'

export const Route = createFileRoute('/api/me')({
  server: {
    handlers: {
      GET: async () => {
        const { isAuthenticated, userId, sessionId, actor, isAgent, permissions } = await auth()
        if (!isAuthenticated) {
          return json({ error: 'Unauthorized' }, { status: 401 })
        }
        return json({ userId, sessionId, actor, isAgent, permissions })
      },
    },
  },
})
