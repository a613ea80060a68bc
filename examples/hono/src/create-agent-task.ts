import { createClient } from '@behalf/backend'
import type { BehalfRequest } from '@behalf/hono'

const port = Number(process.env.PORT ?? 3000)
/** The address browsers use for this app; agent tasks redirect back to it. */
const appUrl = process.env.APP_URL ?? `http://localhost:${port}`

const behalf = createClient({ secretKey: process.env.BEHALF_SECRET_KEY })

// A plain Fetch handler: a signed-in user creates an agent task on their own behalf, and the
// task's URL signs whoever opens it in as that user. withBehalf sets request.auth and sends
// the returned object as JSON.
export async function createAgentTask(request: BehalfRequest) {
  const { isAuthenticated, userId } = request.auth
  if (!isAuthenticated) {
    return Response.json({ error: 'Unauthorized' }, { status: 401 })
  }

  const agentTask = await behalf.agentTasks.create({
    onBehalfOf: { userId },
    permissions: '*',
    agentName: 'my-agent',
    taskDescription: 'Automated test login',
    redirectUrl: `${appUrl}/dashboard`,
  })

  // agentTask.url signs whoever visits it in as this user
  return agentTask
}
