import { createClient, type BehalfClient } from '@behalf/backend'
import fastifyCookie from '@fastify/cookie'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'

import {
  cookieHeaderFrom,
  serverBuilt,
  startBehalfServer,
  type BehalfProcess,
} from '../../backend/test/helpers/behalf-process.js'
import { closedPort } from '../../backend/test/helpers/fake-behalf-server.js'
import { behalfClient, behalfPlugin, getAuth, getRequestState, requireAuth, signOut } from '../src/index.js'

const PROXIED_ORIGIN = 'https://app.example.com'

describe('behalfPlugin configuration', () => {
  afterEach(() => {
    vi.unstubAllEnvs()
  })

  it('fails at ready without secret key', async () => {
    vi.stubEnv('BEHALF_SECRET_KEY', '')
    const app = Fastify()
    app.register(behalfPlugin)

    await expect(app.ready()).rejects.toThrow(/BEHALF_SECRET_KEY/)
    await app.close()
  })

  it('rejects a second registration', async () => {
    const app = Fastify()
    app.register(behalfPlugin, { secretKey: 'sk_test_fastify' })
    app.register(behalfPlugin, { secretKey: 'sk_test_fastify' })

    await expect(app.ready()).rejects.toThrow(/request\.auth is already decorated/)
    await app.close()
  })

  it('getAuth throws without plugin', async () => {
    const app = Fastify()
    app.get('/', async (request) => getAuth(request))

    const response = await app.inject({ method: 'GET', url: '/' })

    expect(response.statusCode).toBe(500)
    expect(response.json<{ message: string }>().message).toContain('fastify.register(behalfPlugin)')
    await app.close()
  })
})

describe.skipIf(!serverBuilt)('Fastify app with a real Behalf server', () => {
  let behalfServer: BehalfProcess
  let behalf: BehalfClient
  let app: FastifyInstance
  let proxiedApp: FastifyInstance
  let appUrl: string
  let userId: string

  beforeAll(async () => {
    // The server's allow-list needs the app's origin, and the plugin needs the server's secret
    // key before Fastify listens, so the app's port is chosen first.
    const port = await closedPort()
    appUrl = `http://127.0.0.1:${port}`
    behalfServer = await startBehalfServer({ BEHALF_ALLOWED_ORIGINS: `${appUrl},${PROXIED_ORIGIN},http://localhost:3000` })
    vi.stubEnv('BEHALF_SECRET_KEY', behalfServer.secretKey)
    vi.stubEnv('BEHALF_API_URL', behalfServer.publicUrl)
    behalf = createClient()
    const user = await behalf.users.create({ emailAddress: 'fastify@example.com', skipPasswordRequirement: true })
    userId = user.id

    app = await buildApp(Fastify())
    await app.listen({ port, host: '127.0.0.1' })
    proxiedApp = await buildApp(Fastify({ trustProxy: '127.0.0.1' }))
    await proxiedApp.ready()
  }, 30_000)

  afterAll(async () => {
    vi.unstubAllEnvs()
    await app?.close()
    await proxiedApp?.close()
    await behalfServer?.stop()
  })

  async function buildApp(fastify: FastifyInstance): Promise<FastifyInstance> {
    await fastify.register(fastifyCookie)
    await fastify.register(behalfPlugin)

    fastify.get('/dashboard', { preHandler: requireAuth() }, async (request) => {
      const { userId: currentUserId, isAgent, actor } = getAuth(request)
      return { userId: currentUserId, isAgent, agentName: actor?.name ?? null, reason: getRequestState(request).reason }
    })

    // The README's route, unchanged.
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
        redirectUrl: 'http://localhost:3000/dashboard',
      })

      res.status(200).send({ message: 'Agent Task created', agentTask })
    })

    fastify.get('/api/me', async (request) => JSON.stringify(request.auth.sessionId))

    fastify.post('/sign-out', async (request, reply) => {
      reply.setCookie('theme', 'dark')
      await signOut(request, reply)
      return reply.code(204).send()
    })

    // An encapsulated child context, as `fastify.register(routes)` creates.
    await fastify.register(async (child) => {
      child.get('/child', async (request) => ({ userId: request.auth.userId }))
    })
    return fastify
  }

  async function acceptTask(redirectUrl: string): Promise<URL> {
    const agentTask = await behalf.agentTasks.create({
      onBehalfOf: { userId },
      permissions: '*',
      agentName: 'fastify-agent',
      taskDescription: 'Fastify adapter test',
      redirectUrl,
    })
    const accepted = await fetch(agentTask.url, { redirect: 'manual' })
    return new URL(accepted.headers.get('Location') ?? '')
  }

  async function signInThroughTask(): Promise<string> {
    const handoff = await fetch(await acceptTask(`${appUrl}/dashboard?tab=2`), { redirect: 'manual' })
    expect(handoff.status).toBe(303)
    return cookieHeaderFrom(handoff.headers.getSetCookie())
  }

  it('exchanges handoff and redirects', async () => {
    const handoffUrl = await acceptTask(`${appUrl}/dashboard?tab=2`)

    const response = await fetch(handoffUrl, { redirect: 'manual' })

    const cookies = response.headers.getSetCookie()
    expect(handoffUrl.searchParams.has('__behalf_handoff')).toBe(true)
    expect(response.status).toBe(303)
    expect(response.headers.get('Location')).toBe('/dashboard?tab=2')
    expect(response.headers.get('Cache-Control')).toBe('no-store')
    expect(cookies).toHaveLength(2)
    expect(cookies[0]).toMatch(/^__behalf_session=.*HttpOnly; SameSite=Lax/)
    expect(cookies[1]).toMatch(/^__behalf_refresh=/)
  })

  it('reads agent auth from cookies', async () => {
    const cookie = await signInThroughTask()

    const response = await fetch(`${appUrl}/dashboard`, { headers: { Cookie: cookie } })

    expect(response.status).toBe(200)
    expect(await response.json()).toStrictEqual({ userId, isAgent: true, agentName: 'fastify-agent', reason: 'session-token-valid' })
  })

  it('reaches encapsulated child contexts', async () => {
    const cookie = await signInThroughTask()

    const response = await fetch(`${appUrl}/child`, { headers: { Cookie: cookie } })

    expect(await response.json()).toStrictEqual({ userId })
  })

  it('refreshes from refresh cookie', async () => {
    const cookie = await signInThroughTask()
    const refreshOnly = cookie.split('; ').filter((pair) => pair.startsWith('__behalf_refresh=')).join('; ')

    const response = await fetch(`${appUrl}/dashboard`, { headers: { Cookie: refreshOnly } })

    const body = (await response.json()) as { userId: string; reason: string }
    expect(body.userId).toBe(userId)
    expect(body.reason).toBe('session-refreshed')
    expect(response.headers.getSetCookie()[0]).toMatch(/^__behalf_session=/)
  })

  it('runs brief route signed out', async () => {
    const response = await fetch(`${appUrl}/createAgentTask`, { method: 'POST' })

    expect(response.status).toBe(401)
    expect(await response.json()).toStrictEqual({ error: 'Unauthorized' })
  })

  it('runs brief route signed in', async () => {
    const cookie = await signInThroughTask()

    const response = await fetch(`${appUrl}/createAgentTask`, { method: 'POST', headers: { Cookie: cookie } })
    const body = (await response.json()) as { message: string; agentTask: Record<string, string> }

    expect(response.status).toBe(200)
    expect(body.message).toBe('Agent Task created')
    expect(Object.keys(body.agentTask).sort()).toEqual(['agentId', 'agentTaskId', 'url'])
    expect(body.agentTask.url?.startsWith(behalfServer.publicUrl)).toBe(true)
  })

  it('requireAuth returns 401 JSON', async () => {
    const response = await fetch(`${appUrl}/dashboard`, { headers: { Accept: 'application/json' } })

    expect(response.status).toBe(401)
    expect(await response.json()).toStrictEqual({ error: 'Unauthorized' })
  })

  it('requireAuth redirects browsers to sign-in', async () => {
    const response = await fetch(`${appUrl}/dashboard?x=1`, { redirect: 'manual', headers: { Accept: 'text/html' } })

    const location = new URL(response.headers.get('Location') ?? '')
    expect(response.status).toBe(303)
    expect(`${location.origin}${location.pathname}`).toBe(`${behalfServer.publicUrl}/sign-in`)
    expect(location.searchParams.get('redirect_url')).toBe(`${appUrl}/dashboard?x=1`)
  })

  it('signs out and keeps other cookies', async () => {
    const cookie = await signInThroughTask()
    const sessionId = (await (await fetch(`${appUrl}/api/me`, { headers: { Cookie: cookie } })).json()) as string

    const response = await fetch(`${appUrl}/sign-out`, { method: 'POST', headers: { Cookie: cookie } })
    const cookies = response.headers.getSetCookie()
    const after = await fetch(`${appUrl}/dashboard`, { headers: { Cookie: cookieHeaderFrom(cookies, cookie), Accept: 'application/json' } })

    expect(response.status).toBe(204)
    expect(cookies.some((value) => value.startsWith('theme=dark'))).toBe(true)
    expect(cookies.some((value) => /^__behalf_session=;.*Max-Age=0/.test(value))).toBe(true)
    expect(cookies.some((value) => /^__behalf_refresh=;.*Max-Age=0/.test(value))).toBe(true)
    expect(after.status).toBe(401)
    expect((await behalf.sessions.get(sessionId)).status).toBe('revoked')
  })

  it('honours trusted forwarded headers', async () => {
    const handoffUrl = await acceptTask(`${PROXIED_ORIGIN}/dashboard`)

    const response = await proxiedApp.inject({
      method: 'GET',
      url: `${handoffUrl.pathname}${handoffUrl.search}`,
      remoteAddress: '127.0.0.1',
      headers: { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'app.example.com' },
    })

    const cookies = [response.headers['set-cookie'] ?? []].flat()
    expect(response.statusCode).toBe(303)
    expect(response.headers.location).toBe('/dashboard')
    expect(cookies).toHaveLength(2)
    for (const cookie of cookies) expect(cookie).toContain('; Secure')
  })
})
