import type { AddressInfo } from 'node:net'

import { createClient, type BehalfClient } from '@behalf/backend'
import { serve, type ServerType } from '@hono/node-server'
import { Hono } from 'hono'
import { setCookie } from 'hono/cookie'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'

import {
  cookieHeaderFrom,
  serverBuilt,
  startBehalfServer,
  type BehalfProcess,
} from '../../backend/test/helpers/behalf-process.js'
import { getAuth as getRequestAuth, signOut as signOutRequest, withBehalf, type BehalfRequest } from '../src/fetch.js'
import { behalfMiddleware, getAuth, getRequestState, requireAuth, signOut } from '../src/index.js'

interface Listening {
  server: ServerType
  url: string
}

function listen(fetch: (request: Request) => Response | Promise<Response>): Promise<Listening> {
  return new Promise((resolve) => {
    const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
      resolve({ server, url: `http://127.0.0.1:${info.port}` })
    })
  })
}

function close({ server }: Listening): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()))
}

describe('configuration', () => {
  afterEach(() => {
    vi.unstubAllEnvs()
  })

  it('withBehalf names BEHALF_SECRET_KEY when missing', async () => {
    vi.stubEnv('BEHALF_SECRET_KEY', '')
    const handler = withBehalf(() => 'unreachable')

    await expect(handler(new Request('http://127.0.0.1/'))).rejects.toThrow(/BEHALF_SECRET_KEY/)
  })

  it('middleware names BEHALF_SECRET_KEY when missing', async () => {
    vi.stubEnv('BEHALF_SECRET_KEY', '')
    const app = new Hono()
    app.use(behalfMiddleware())
    app.get('/', (c) => c.text('unreachable'))
    let message = ''
    app.onError((error, c) => {
      message = error.message
      return c.text('error', 500)
    })

    const response = await app.request('http://127.0.0.1/')

    expect(response.status).toBe(500)
    expect(message).toContain('BEHALF_SECRET_KEY')
  })

  it('getAuth throws without middleware', async () => {
    const app = new Hono()
    let message = ''
    app.get('/', (c) => {
      try {
        getAuth(c)
      } catch (error) {
        message = (error as Error).message
      }
      return c.text('ok')
    })

    await app.request('http://127.0.0.1/')

    expect(message).toContain('behalfMiddleware()')
  })
})

describe.skipIf(!serverBuilt)('with a real Behalf server', () => {
  let behalfServer: BehalfProcess
  let behalf: BehalfClient
  let userId: string
  let fetchApp: Listening
  let honoApp: Listening
  let notFoundApp: Listening

  beforeAll(async () => {
    // Both apps listen before the server starts, because its allow-list needs their origins.
    let fetchHandler: (request: Request) => Promise<Response> = async () => new Response(null, { status: 503 })
    let honoFetch: (request: Request) => Response | Promise<Response> = () => new Response(null, { status: 503 })
    fetchApp = await listen((request) => fetchHandler(request))
    honoApp = await listen((request) => honoFetch(request))
    notFoundApp = await listen(() => new Response(null, { status: 404 }))

    behalfServer = await startBehalfServer({ BEHALF_ALLOWED_ORIGINS: `${fetchApp.url},${honoApp.url}` })
    vi.stubEnv('BEHALF_SECRET_KEY', behalfServer.secretKey)
    vi.stubEnv('BEHALF_API_URL', behalfServer.publicUrl)
    behalf = createClient()
    const user = await behalf.users.create({ emailAddress: 'hono@example.com', skipPasswordRequirement: true })
    userId = user.id

    fetchHandler = buildFetchHandler()
    honoFetch = buildHonoApp().fetch
  }, 30_000)

  afterAll(async () => {
    vi.unstubAllEnvs()
    for (const app of [fetchApp, honoApp, notFoundApp]) if (app !== undefined) await close(app)
    await behalfServer?.stop()
  })

  function buildFetchHandler(): (request: Request) => Promise<Response> {
    // The README's plain Fetch handler, with the app's own origin in redirectUrl.
    async function createAgentTask(request: BehalfRequest) {
      const { isAuthenticated, userId } = request.auth
      if (!isAuthenticated) {
        return Response.json({ error: 'Unauthorized' }, { status: 401 })
      }

      const agentTask = await behalf.agentTasks.create({
        onBehalfOf: { userId },
        permissions: '*',
        agentName: 'my-agent',
        taskDescription: 'Automated test login',
        redirectUrl: `${fetchApp.url}/dashboard`,
      })

      // agentTask.url signs whoever visits it in as this user
      return agentTask
    }

    return withBehalf(async (request) => {
      const { pathname } = new URL(request.url)
      if (pathname === '/createAgentTask') return createAgentTask(request)
      if (pathname === '/me') return { userId: request.auth.userId, same: getRequestAuth(request) === request.auth }
      if (pathname === '/empty') return undefined
      if (pathname === '/redirect') return Response.redirect(`${fetchApp.url}/elsewhere`, 302)
      if (pathname === '/proxied') return fetch(notFoundApp.url)
      if (pathname === '/sign-out') {
        await signOutRequest(request)
        return new Response(null, { status: 204 })
      }
      return new Response('not found', { status: 404 })
    })
  }

  function buildHonoApp(): Hono {
    const app = new Hono()
    app.use(behalfMiddleware())
    app.get('/dashboard', requireAuth(), (c) => {
      const auth = getAuth(c)
      return c.json({
        userId: auth.userId,
        agentName: auth.actor?.name ?? null,
        sameAsVariable: c.get('auth') === auth,
        sameAsRequest: (c.req.raw as BehalfRequest).auth === auth,
        reason: getRequestState(c).reason,
      })
    })
    app.get('/fetch-handler', (c) => withBehalf((request) => ({ userId: request.auth.userId }))(c.req.raw))
    app.get('/throws', () => {
      throw new Error('route failed')
    })
    app.get('/session', (c) => c.text(c.get('auth').sessionId ?? ''))
    app.get('/raw', () => new Response('raw'))
    app.get('/proxied', () => fetch(notFoundApp.url))
    app.get('/theme', (c) => {
      setCookie(c, 'theme', 'dark')
      return c.text('themed')
    })
    app.post('/sign-out', async (c) => {
      await signOut(c)
      return c.body(null, 204)
    })
    app.onError((_error, c) => c.text('failed', 500))
    return app
  }

  async function handoffUrl(appUrl: string, path = '/dashboard?tab=2'): Promise<string> {
    const agentTask = await behalf.agentTasks.create({
      onBehalfOf: { userId },
      permissions: '*',
      agentName: 'hono-agent',
      taskDescription: 'Hono adapter test',
      redirectUrl: `${appUrl}${path}`,
    })
    const accepted = await fetch(agentTask.url, { redirect: 'manual' })
    return accepted.headers.get('Location') ?? ''
  }

  async function signIn(appUrl: string): Promise<string> {
    const response = await fetch(await handoffUrl(appUrl), { redirect: 'manual' })
    expect(response.status).toBe(303)
    return cookieHeaderFrom(response.headers.getSetCookie())
  }

  function refreshCookieOnly(cookie: string): string {
    return cookie.split('; ').filter((pair) => pair.startsWith('__behalf_refresh=')).join('; ')
  }

  describe('withBehalf', () => {
    it('exchanges handoff and redirects', async () => {
      const response = await fetch(await handoffUrl(fetchApp.url), { redirect: 'manual' })

      const cookies = response.headers.getSetCookie()
      expect(response.status).toBe(303)
      expect(response.headers.get('Location')).toBe('/dashboard?tab=2')
      expect(response.headers.get('Cache-Control')).toBe('no-store')
      expect(cookies).toHaveLength(2)
      expect(cookies[0]).toMatch(/^__behalf_session=.*HttpOnly; SameSite=Lax/)
      expect(cookies[1]).toMatch(/^__behalf_refresh=/)
    })

    it('sets request.auth', async () => {
      const cookie = await signIn(fetchApp.url)

      const response = await fetch(`${fetchApp.url}/me`, { headers: { Cookie: cookie } })

      expect(await response.json()).toStrictEqual({ userId, same: true })
    })

    it('runs brief handler signed out', async () => {
      const response = await fetch(`${fetchApp.url}/createAgentTask`, { method: 'POST' })

      expect(response.status).toBe(401)
      expect(await response.json()).toStrictEqual({ error: 'Unauthorized' })
    })

    it('serialises brief handler result', async () => {
      const cookie = await signIn(fetchApp.url)

      const response = await fetch(`${fetchApp.url}/createAgentTask`, { method: 'POST', headers: { Cookie: cookie } })
      const body = (await response.json()) as Record<string, string>

      expect(response.status).toBe(200)
      expect(response.headers.get('Content-Type')).toBe('application/json')
      expect(Object.keys(body).sort()).toEqual(['agentId', 'agentTaskId', 'url'])
      expect(body.url?.startsWith(behalfServer.publicUrl)).toBe(true)
    })

    it('answers undefined with 204', async () => {
      const response = await fetch(`${fetchApp.url}/empty`)

      expect(response.status).toBe(204)
    })

    it('adds cookies to immutable responses', async () => {
      const refreshOnly = refreshCookieOnly(await signIn(fetchApp.url))

      const redirect = await fetch(`${fetchApp.url}/redirect`, { redirect: 'manual', headers: { Cookie: refreshOnly } })
      const proxied = await fetch(`${fetchApp.url}/proxied`, { headers: { Cookie: refreshOnly } })

      expect(redirect.status).toBe(302)
      expect(redirect.headers.get('Location')).toBe(`${fetchApp.url}/elsewhere`)
      expect(redirect.headers.getSetCookie()[0]).toMatch(/^__behalf_session=/)
      expect(proxied.status).toBe(404)
      expect(proxied.headers.getSetCookie()[0]).toMatch(/^__behalf_session=/)
    })

    it('signs out and clears cookies', async () => {
      const cookie = await signIn(fetchApp.url)

      const response = await fetch(`${fetchApp.url}/sign-out`, { method: 'POST', headers: { Cookie: refreshCookieOnly(cookie) } })
      const cookies = response.headers.getSetCookie()
      const after = await fetch(`${fetchApp.url}/me`, { headers: { Cookie: refreshCookieOnly(cookie) } })

      expect(response.status).toBe(204)
      expect(cookies).toHaveLength(2)
      expect(cookies[0]).toMatch(/^__behalf_session=;.*Max-Age=0/)
      expect(cookies[1]).toMatch(/^__behalf_refresh=;.*Max-Age=0/)
      expect(await after.json()).toStrictEqual({ userId: null, same: true })
    })
  })

  describe('behalfMiddleware', () => {
    it('exchanges handoff and redirects', async () => {
      const response = await fetch(await handoffUrl(honoApp.url), { redirect: 'manual' })

      expect(response.status).toBe(303)
      expect(response.headers.get('Location')).toBe('/dashboard?tab=2')
      expect(response.headers.get('Cache-Control')).toBe('no-store')
      expect(response.headers.getSetCookie()).toHaveLength(2)
    })

    it('sets auth variable and request.auth', async () => {
      const cookie = await signIn(honoApp.url)

      const response = await fetch(`${honoApp.url}/dashboard`, { headers: { Cookie: cookie } })

      expect(await response.json()).toStrictEqual({
        userId,
        agentName: 'hono-agent',
        sameAsVariable: true,
        sameAsRequest: true,
        reason: 'session-token-valid',
      })
    })

    it('shares state with withBehalf', async () => {
      const refreshOnly = refreshCookieOnly(await signIn(honoApp.url))

      const response = await fetch(`${honoApp.url}/fetch-handler`, { headers: { Cookie: refreshOnly } })

      expect(await response.json()).toStrictEqual({ userId })
      expect(response.headers.getSetCookie()).toHaveLength(2)
    })

    it('adds cookies to error responses', async () => {
      const refreshOnly = refreshCookieOnly(await signIn(honoApp.url))

      const failed = await fetch(`${honoApp.url}/throws`, { headers: { Cookie: refreshOnly } })
      const raw = await fetch(`${honoApp.url}/raw`, { headers: { Cookie: refreshOnly } })

      expect(failed.status).toBe(500)
      expect(failed.headers.getSetCookie()[0]).toMatch(/^__behalf_session=/)
      expect(await raw.text()).toBe('raw')
      expect(raw.headers.getSetCookie()[0]).toMatch(/^__behalf_session=/)
    })

    it('adds cookies to immutable responses', async () => {
      const refreshOnly = refreshCookieOnly(await signIn(honoApp.url))

      const response = await fetch(`${honoApp.url}/proxied`, { headers: { Cookie: refreshOnly } })

      expect(response.status).toBe(404)
      expect(response.headers.getSetCookie()[0]).toMatch(/^__behalf_session=/)
    })

    it('keeps cookies the route sets', async () => {
      const refreshOnly = refreshCookieOnly(await signIn(honoApp.url))

      const response = await fetch(`${honoApp.url}/theme`, { headers: { Cookie: refreshOnly } })

      const cookies = response.headers.getSetCookie()
      expect(cookies).toHaveLength(3)
      expect(cookies[0]).toMatch(/^theme=dark/)
      expect(cookies[1]).toMatch(/^__behalf_session=/)
      expect(cookies[2]).toMatch(/^__behalf_refresh=/)
    })

    it('requireAuth returns 401 JSON', async () => {
      const response = await fetch(`${honoApp.url}/dashboard`, { headers: { Accept: 'application/json' } })

      expect(response.status).toBe(401)
      expect(await response.json()).toStrictEqual({ error: 'Unauthorized' })
    })

    it('requireAuth redirects browsers to sign-in', async () => {
      const response = await fetch(`${honoApp.url}/dashboard?x=1`, { redirect: 'manual', headers: { Accept: 'text/html' } })

      const location = new URL(response.headers.get('Location') ?? '')
      expect(response.status).toBe(303)
      expect(`${location.origin}${location.pathname}`).toBe(`${behalfServer.publicUrl}/sign-in`)
      expect(location.searchParams.get('redirect_url')).toBe(`${honoApp.url}/dashboard?x=1`)
    })

    it('signs out and revokes session', async () => {
      const cookie = await signIn(honoApp.url)
      const sessionId = await (await fetch(`${honoApp.url}/session`, { headers: { Cookie: cookie } })).text()

      const response = await fetch(`${honoApp.url}/sign-out`, { method: 'POST', headers: { Cookie: refreshCookieOnly(cookie) } })
      const cookies = response.headers.getSetCookie()

      expect(response.status).toBe(204)
      expect(cookies).toHaveLength(2)
      expect(cookies[0]).toMatch(/^__behalf_session=;.*Max-Age=0/)
      expect(cookies[1]).toMatch(/^__behalf_refresh=;.*Max-Age=0/)
      expect((await behalf.sessions.get(sessionId)).status).toBe('revoked')
    })
  })
})
