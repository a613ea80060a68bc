import express from 'express'
import { behalfClient, behalfMiddleware, getAuth, requireAuth, signOut } from '@behalf/express'

import { dashboardPage, homePage } from './views.js'

const port = Number(process.env.PORT ?? 3000)
const host = process.env.HOST ?? '127.0.0.1'
/** The address browsers use for this app; agent tasks redirect back to it. */
const appUrl = process.env.APP_URL ?? `http://localhost:${port}`
const behalfUrl = process.env.BEHALF_API_URL ?? 'http://localhost:4000'

const app = express()
// Tokens are accepted only when handed to this app's own origin, whatever Host header a request claims.
app.use(behalfMiddleware({ authorizedParties: [new URL(appUrl).origin] }))

app.get('/', (_req, res) => {
  const signInUrl = `${behalfUrl}/sign-in?redirect_url=${encodeURIComponent(`${appUrl}/dashboard`)}`
  res.type('html').send(homePage(signInUrl))
})

// The product brief's route: a signed-in user creates an agent task on their own behalf.
app.post('/createAgentTask', async (req, res) => {
  const { isAuthenticated, userId } = getAuth(req)
  if (!isAuthenticated) {
    return res.status(401).json({ error: 'Unauthorized' })
  }

  const agentTask = await behalfClient.agentTasks.create({
    onBehalfOf: { userId },
    permissions: '*',
    agentName: 'my-agent',
    taskDescription: 'Automated test login',
    redirectUrl: `${appUrl}/dashboard`,
  })

  res.status(200).json({ message: 'Agent Task created', agentTask })
})

app.get('/dashboard', requireAuth(), async (req, res) => {
  const auth = getAuth(req)
  const user = await behalfClient.users.get(auth.userId as string)
  res.type('html').send(
    dashboardPage({
      firstName: user.firstName ?? user.username ?? 'there',
      userId: auth.userId as string,
      sessionId: auth.sessionId as string,
      actor: auth.actor,
    }),
  )
})

app.get('/api/me', requireAuth({ redirectToSignIn: false }), (req, res) => {
  const { userId, sessionId, actor, isAgent, permissions } = getAuth(req)
  res.json({ userId, sessionId, actor, isAgent, permissions })
})

app.post('/sign-out', async (req, res) => {
  await signOut(req, res)
  res.redirect(303, '/')
})

app.listen(port, host, () => {
  console.log(JSON.stringify({ msg: 'example app listening', url: appUrl }))
})
