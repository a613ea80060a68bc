import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { behalfClient, getAuth } from '@behalf/fastify'

const port = Number(process.env.PORT ?? 3000)
/** The address browsers use for this app; agent tasks redirect back to it. */
const appUrl = process.env.APP_URL ?? `http://localhost:${port}`

// A signed-in user creates an agent task on their own behalf, and the task's URL signs whoever opens it in as that user.
export const exampleRoutes = (fastify: FastifyInstance) => {
  fastify.post('/createAgentTask', async (req: FastifyRequest, res: FastifyReply) => {
    const { isAuthenticated, userId } = getAuth(req)
    if (!isAuthenticated) {
      return res.status(401).send({ error: 'Unauthorized' })
    }

    const agentTask = await behalfClient.agentTasks.create({
      onBehalfOf: { userId },
      permissions: '*',
      agentName: 'my-agent',
      taskDescription: 'Automated test login',
      redirectUrl: `${appUrl}/dashboard`,
    })

    res.status(200).send({ message: 'Agent Task created', agentTask })
  })
}
