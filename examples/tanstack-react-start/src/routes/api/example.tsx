import { json } from '@tanstack/react-start'
import { createFileRoute } from '@tanstack/react-router'
import { auth, behalfClient } from '@behalf/tanstack-react-start/server'

import { appUrl } from '../../config'

// The product brief's route: a signed-in user creates an agent task on their own behalf.
export const ServerRoute = createFileRoute('/api/example')({
  server: {
    handlers: {
      POST: async () => {
        const { isAuthenticated, userId } = await auth()
        if (!isAuthenticated) {
          return json({ error: 'Unauthorized' }, { status: 401 })
        }

        const agentTask = await behalfClient().agentTasks.create({
          onBehalfOf: { userId },
          permissions: '*',
          agentName: 'my-agent',
          taskDescription: 'Automated test login',
          redirectUrl: `${appUrl}/dashboard`,
        })

        return json({ message: 'Agent Task created', agentTask })
      },
    },
  },
})

// TanStack Router's generator reads a route file's `Route` export only; the brief names it ServerRoute.
export { ServerRoute as Route }
