import { behalfClient, getAuth } from '@behalf/react-router/server'

import { appUrl } from '../config.server'
import type { Route } from './+types/example'

export async function action(args: Route.ActionArgs) {
  const { isAuthenticated, userId } = await getAuth(args)
  if (!isAuthenticated) {
    return Response.json({ error: 'Unauthorized' }, { status: 401 })
  }

  const agentTask = await behalfClient(args).agentTasks.create({
    onBehalfOf: { userId },
    permissions: '*',
    agentName: 'my-agent',
    taskDescription: 'Automated test login',
    redirectUrl: `${appUrl}/dashboard`,
  })

  return Response.json({ message: 'Agent Task created', agentTask })
}
