import Fastify from 'fastify'
import { behalfClient, behalfPlugin, getAuth, requireAuth, signOut } from '@behalf/fastify'

import { exampleRoutes } from './routes/example.js'
import { dashboardPage, homePage } from './views.js'

const port = Number(process.env.PORT ?? 3000)
const host = process.env.HOST ?? '127.0.0.1'
/** The address browsers use for this app; agent tasks redirect back to it. */
const appUrl = process.env.APP_URL ?? `http://localhost:${port}`
const behalfUrl = process.env.BEHALF_API_URL ?? 'http://localhost:4000'

const fastify = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'warn' } })

// HTML forms post application/x-www-form-urlencoded, which Fastify rejects with 415 unless a
// parser is registered. @fastify/formbody does the same for apps with real forms.
fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
  done(null, Object.fromEntries(new URLSearchParams(body as string)))
})

// Tokens are accepted only when handed to this app's own origin, whatever Host header a request claims.
await fastify.register(behalfPlugin, { authorizedParties: [new URL(appUrl).origin] })

fastify.get('/', async (_req, reply) => {
  const signInUrl = `${behalfUrl}/sign-in?redirect_url=${encodeURIComponent(`${appUrl}/dashboard`)}`
  return reply.type('text/html').send(homePage(signInUrl))
})

exampleRoutes(fastify)

fastify.get('/dashboard', { preHandler: requireAuth() }, async (req, reply) => {
  const auth = getAuth(req)
  const user = await behalfClient.users.get(auth.userId as string)
  return reply.type('text/html').send(
    dashboardPage({
      firstName: user.firstName ?? user.username ?? 'there',
      userId: auth.userId as string,
      sessionId: auth.sessionId as string,
      actor: auth.actor,
    }),
  )
})

fastify.get('/api/me', { preHandler: requireAuth({ redirectToSignIn: false }) }, async (req) => {
  const { userId, sessionId, actor, isAgent, permissions } = getAuth(req)
  return { userId, sessionId, actor, isAgent, permissions }
})

fastify.post('/sign-out', async (req, reply) => {
  await signOut(req, reply)
  return reply.redirect('/', 303)
})

await fastify.listen({ port, host })
console.log(JSON.stringify({ msg: 'example app listening', url: appUrl }))
