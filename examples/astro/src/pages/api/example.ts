import type { APIRoute } from 'astro'
import { behalfClient } from '@behalf/astro/server'

const port = process.env.PORT ?? '3000'
/** The address browsers use for this app; agent tasks redirect back to it. */
const appUrl = process.env.APP_URL ?? `http://localhost:${port}`

// The product brief's route: a signed-in user creates an agent task on their own behalf.
export const POST: APIRoute = async (context) => {
  const { isAuthenticated, userId } = context.locals.auth()
  if (!isAuthenticated) {
    return new Response('Unauthorized', { status: 401 })
  }

  const agentTask = await behalfClient(context).agentTasks.create({
    onBehalfOf: { userId },
    permissions: '*',
    agentName: 'my-agent',
    taskDescription: 'Automated test login',
    redirectUrl: `${appUrl}/dashboard`,
  })

  return new Response(JSON.stringify({ message: 'Agent Task created', agentTask }), { status: 200 })
}
