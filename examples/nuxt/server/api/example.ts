import { behalfClient } from '@behalf/nuxt/server'

/** Address that browsers use for this app. Agent tasks redirect back to it. */
const appUrl = process.env.APP_URL ?? `http://localhost:${process.env.PORT ?? 3000}`

// The product brief's route: a signed-in user creates an agent task on their own behalf.
export default defineEventHandler(async (event) => {
  const { isAuthenticated, userId } = event.context.auth()
  if (!isAuthenticated) {
    throw createError({ statusCode: 401, statusMessage: 'Unauthorized' })
  }

  const agentTask = await behalfClient(event).agentTasks.create({
    onBehalfOf: { userId },
    permissions: '*',
    agentName: 'my-agent',
    taskDescription: 'Automated test login',
    redirectUrl: `${appUrl}/dashboard`,
  })

  return { message: 'Agent Task created', agentTask }
})
