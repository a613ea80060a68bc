import { serve } from '@hono/node-server'
import { createClient } from '@behalf/backend'
import { behalfMiddleware, getAuth, requireAuth, signOut, withBehalf } from '@behalf/hono'
import { Hono } from 'hono'

import { createAgentTask } from './create-agent-task.js'
import { dashboardPage, homePage } from './views.js'

const port = Number(process.env.PORT ?? 3000)
const hostname = process.env.HOST ?? '127.0.0.1'
/** The address browsers use for this app; agent tasks redirect back to it. */
const appUrl = process.env.APP_URL ?? `http://localhost:${port}`
const behalfUrl = process.env.BEHALF_API_URL ?? 'http://localhost:4000'

const behalf = createClient()
const createAgentTaskHandler = withBehalf(createAgentTask)

const app = new Hono()
// Tokens are accepted only when handed to this app's own origin, whatever Host header a request claims.
app.use(behalfMiddleware({ authorizedParties: [new URL(appUrl).origin] }))

app.get('/', (c) => {
  const signInUrl = `${behalfUrl}/sign-in?redirect_url=${encodeURIComponent(`${appUrl}/dashboard`)}`
  return c.html(homePage(signInUrl))
})

// The plain Fetch handler runs with the state behalfMiddleware already set on the request.
app.post('/createAgentTask', (c) => createAgentTaskHandler(c.req.raw))

app.get('/dashboard', requireAuth(), async (c) => {
  const auth = getAuth(c)
  const user = await behalf.users.get(auth.userId as string)
  return c.html(
    dashboardPage({
      firstName: user.firstName ?? user.username ?? 'there',
      userId: auth.userId as string,
      sessionId: auth.sessionId as string,
      actor: auth.actor,
    }),
  )
})

app.get('/api/me', requireAuth({ redirectToSignIn: false }), (c) => {
  const { userId, sessionId, actor, isAgent, permissions } = c.get('auth')
  return c.json({ userId, sessionId, actor, isAgent, permissions })
})

app.post('/sign-out', async (c) => {
  await signOut(c)
  return c.redirect('/', 303)
})

serve({ fetch: app.fetch, port, hostname }, () => {
  console.log(JSON.stringify({ msg: 'example app listening', url: appUrl }))
})
