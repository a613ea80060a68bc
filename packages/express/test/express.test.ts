import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'

import express, { type Express } from 'express'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'

import {
  createSigningKey,
  FakeBehalfServer,
  signSessionToken,
  type SigningKey,
} from '../../backend/test/helpers/fake-behalf-server.js'
import { behalfMiddleware, getAuth, getRequestState, requireAuth, signOut } from '../src/index.js'

const SECRET_KEY = 'sk_test_express_secret'

let behalfServer: FakeBehalfServer
let key: SigningKey
let app: Express
let appServer: Server
let appUrl: string

async function listen(application: Express): Promise<{ server: Server; url: string }> {
  const server = await new Promise<Server>((resolve) => {
    const listening = application.listen(0, '127.0.0.1', () => resolve(listening))
  })
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

function buildApp(): Express {
  const application = express()
  application.use(behalfMiddleware({ secretKey: SECRET_KEY, apiUrl: behalfServer.url }))

  application.get('/whoami', (req, res) => {
    const auth = getAuth(req)
    res.json({ isAuthenticated: auth.isAuthenticated, userId: auth.userId, isAgent: auth.isAgent, reason: getRequestState(req).reason })
  })
  application.get('/private', requireAuth(), (req, res) => {
    res.json({ userId: getAuth(req).userId })
  })
  application.post('/sign-out', async (req, res) => {
    await signOut(req, res)
    res.status(204).end()
  })
  return application
}

function sign(claims: Record<string, unknown> = {}): Promise<string> {
  return signSessionToken(key, { iss: behalfServer.url, azp: appUrl, ...claims })
}

beforeAll(async () => {
  key = await createSigningKey('key-1')
  behalfServer = await new FakeBehalfServer().start()
  behalfServer.jwks = { keys: [key.publicJwk] }
  app = buildApp()
  ;({ server: appServer, url: appUrl } = await listen(app))
})

afterAll(async () => {
  appServer.closeAllConnections()
  await new Promise<void>((resolve) => appServer.close(() => resolve()))
  await behalfServer.stop()
})

beforeEach(() => {
  behalfServer.requests.length = 0
  behalfServer.routes.clear()
  vi.spyOn(console, 'warn').mockImplementation(() => undefined)
})

afterEach(() => {
  vi.restoreAllMocks()
  vi.unstubAllEnvs()
})

describe('behalfMiddleware', () => {
  it('throws without secret key', () => {
    vi.stubEnv('BEHALF_SECRET_KEY', '')

    expect(() => behalfMiddleware()).toThrow(/BEHALF_SECRET_KEY/)
  })

  it('returns a named function', () => {
    expect(behalfMiddleware({ secretKey: SECRET_KEY }).name).toBe('behalfMiddleware')
  })

  it('exchanges handoff and redirects', async () => {
    const token = await sign()
    behalfServer.on('POST', '/v1/handoffs/exchange', () => ({
      status: 200,
      body: { object: 'session_tokens', session_id: 'sess_1', session_token: token, refresh_token: 'rt_1' },
    }))

    const response = await fetch(`${appUrl}/whoami?tab=2&__behalf_handoff=code_1`, { redirect: 'manual' })

    const exchange = behalfServer.requestsTo('POST', '/v1/handoffs/exchange')[0]
    const cookies = response.headers.getSetCookie()
    expect(JSON.parse(exchange?.body ?? '{}')).toStrictEqual({ code: 'code_1', origin: appUrl })
    expect(response.status).toBe(303)
    expect(response.headers.get('Location')).toBe('/whoami?tab=2')
    expect(response.headers.get('Cache-Control')).toBe('no-store')
    expect(cookies).toHaveLength(2)
    expect(cookies[0]).toMatch(/^__behalf_session=.*HttpOnly; SameSite=Lax/)
    expect(cookies[1]).toMatch(/^__behalf_refresh=rt_1;/)
  })

  it('redirects after failed handoff', async () => {
    behalfServer.on('POST', '/v1/handoffs/exchange', () => ({ status: 410, body: { errors: [{ code: 'handoff_code_invalid' }] } }))

    const response = await fetch(`${appUrl}/whoami?__behalf_handoff=used`, { redirect: 'manual' })

    expect(response.status).toBe(303)
    expect(response.headers.get('Location')).toBe('/whoami')
    expect(response.headers.getSetCookie()).toEqual([])
  })

  it('signs in from cookie', async () => {
    const token = await sign({ sub: 'user_9', act: { sub: 'agent_1', name: 'bot', agent_task_id: 'agt_1' } })

    const response = await fetch(`${appUrl}/whoami`, { headers: { Cookie: `__behalf_session=${token}` } })

    expect(await response.json()).toStrictEqual({
      isAuthenticated: true,
      userId: 'user_9',
      isAgent: true,
      reason: 'session-token-valid',
    })
  })

  it('signs in from bearer token', async () => {
    const token = await sign({ sub: 'user_3' })

    const response = await fetch(`${appUrl}/whoami`, { headers: { Authorization: `Bearer ${token}` } })

    expect(((await response.json()) as { userId: string }).userId).toBe('user_3')
    expect(response.headers.getSetCookie()).toEqual([])
  })

  it('forwards refreshed session cookie', async () => {
    const fresh = await sign({ sub: 'user_5' })
    behalfServer.on('POST', '/v1/sessions/refresh', () => ({
      status: 200,
      body: { object: 'session_token', session_id: 'sess_1', session_token: fresh },
    }))

    const response = await fetch(`${appUrl}/whoami`, { headers: { Cookie: '__behalf_refresh=rt_1' } })

    expect(((await response.json()) as { userId: string }).userId).toBe('user_5')
    expect(response.headers.getSetCookie()[0]).toMatch(/^__behalf_session=/)
  })

  it('reports signed-out state', async () => {
    const response = await fetch(`${appUrl}/whoami`)

    expect(await response.json()).toStrictEqual({
      isAuthenticated: false,
      userId: null,
      isAgent: false,
      reason: 'session-token-missing',
    })
  })

  it('honours trusted forwarded headers', async () => {
    const proxied = express()
    proxied.set('trust proxy', 'loopback')
    proxied.use(behalfMiddleware({ secretKey: SECRET_KEY, apiUrl: behalfServer.url }))
    proxied.get('/', (_req, res) => res.end())
    const { server, url } = await listen(proxied)
    const token = await signSessionToken(key, { iss: behalfServer.url, azp: 'https://app.example.com' })
    behalfServer.on('POST', '/v1/handoffs/exchange', () => ({
      status: 200,
      body: { object: 'session_tokens', session_id: 'sess_1', session_token: token, refresh_token: 'rt_1' },
    }))

    try {
      const response = await fetch(`${url}/?__behalf_handoff=code_1`, {
        redirect: 'manual',
        headers: { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'app.example.com' },
      })

      const exchange = behalfServer.requestsTo('POST', '/v1/handoffs/exchange')[0]
      expect(JSON.parse(exchange?.body ?? '{}').origin).toBe('https://app.example.com')
      expect(response.headers.getSetCookie()).toHaveLength(2)
      for (const cookie of response.headers.getSetCookie()) expect(cookie).toContain('; Secure')
    } finally {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })

  it('ignores untrusted forwarded headers', async () => {
    const response = await fetch(`${appUrl}/whoami?__behalf_handoff=code_1`, {
      redirect: 'manual',
      headers: { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'evil.example.com' },
    })

    const exchange = behalfServer.requestsTo('POST', '/v1/handoffs/exchange')[0]
    expect(JSON.parse(exchange?.body ?? '{}').origin).toBe(appUrl)
    expect(response.status).toBe(303)
  })
})

describe('getAuth', () => {
  it('throws without middleware', async () => {
    const bare = express()
    let message = ''
    bare.get('/', (req, res) => {
      try {
        getAuth(req)
      } catch (error) {
        message = (error as Error).message
      }
      res.end()
    })
    const { server, url } = await listen(bare)

    try {
      await fetch(url)
    } finally {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }

    expect(message).toContain('behalfMiddleware')
  })
})

describe('requireAuth', () => {
  it('returns 401 JSON to API calls', async () => {
    const response = await fetch(`${appUrl}/private`, { headers: { Accept: 'application/json' } })

    expect(response.status).toBe(401)
    expect(await response.json()).toStrictEqual({ error: 'Unauthorized' })
  })

  it('redirects browsers to sign-in', async () => {
    const response = await fetch(`${appUrl}/private?x=1`, { redirect: 'manual', headers: { Accept: 'text/html' } })

    const location = new URL(response.headers.get('Location') ?? '')
    expect(response.status).toBe(303)
    expect(`${location.origin}${location.pathname}`).toBe(`${behalfServer.url}/sign-in`)
    expect(location.searchParams.get('redirect_url')).toBe(`${appUrl}/private?x=1`)
  })

  it('passes authenticated requests', async () => {
    const token = await sign({ sub: 'user_2' })

    const response = await fetch(`${appUrl}/private`, { headers: { Cookie: `__behalf_session=${token}` } })

    expect(response.status).toBe(200)
    expect(await response.json()).toStrictEqual({ userId: 'user_2' })
  })
})

describe('signOut', () => {
  it('revokes session and clears cookies', async () => {
    behalfServer.on('POST', '/v1/sessions/sess_4/revoke', () => ({ status: 200, body: { object: 'session', id: 'sess_4' } }))
    const token = await sign({ sid: 'sess_4' })

    const response = await fetch(`${appUrl}/sign-out`, {
      method: 'POST',
      headers: { Cookie: `__behalf_session=${token}; __behalf_refresh=rt_4` },
    })

    const cookies = response.headers.getSetCookie()
    expect(response.status).toBe(204)
    expect(behalfServer.requestsTo('POST', '/v1/sessions/sess_4/revoke')).toHaveLength(1)
    expect(cookies.some((cookie) => /^__behalf_session=;.*Max-Age=0/.test(cookie))).toBe(true)
    expect(cookies.some((cookie) => /^__behalf_refresh=;.*Max-Age=0/.test(cookie))).toBe(true)
  })

  it('clears cookies when revoke fails', async () => {
    behalfServer.on('POST', '/v1/sessions/sess_5/revoke', () => ({ status: 500, body: { errors: [] } }))
    const token = await sign({ sid: 'sess_5' })

    const response = await fetch(`${appUrl}/sign-out`, { method: 'POST', headers: { Cookie: `__behalf_session=${token}` } })

    expect(response.status).toBe(500)
    expect(response.headers.getSetCookie().some((cookie) => /^__behalf_session=;/.test(cookie))).toBe(true)
  })
})

describe('behalfClient', () => {
  it('names BEHALF_SECRET_KEY when missing', async () => {
    vi.resetModules()
    vi.stubEnv('BEHALF_SECRET_KEY', '')
    const { behalfClient } = await import('../src/client.js')

    expect(() => behalfClient.agentTasks).toThrow(/BEHALF_SECRET_KEY/)
  })

  it('creates client from environment', async () => {
    vi.resetModules()
    vi.stubEnv('BEHALF_SECRET_KEY', SECRET_KEY)
    vi.stubEnv('BEHALF_API_URL', behalfServer.url)
    const { behalfClient } = await import('../src/client.js')
    behalfServer.on('POST', '/v1/agents/tasks', () => ({
      status: 200,
      body: { object: 'agent_task', agent_id: 'agent_1', agent_task_id: 'agt_1', task_id: 'agt_1', url: 'http://x/accept' },
    }))

    const agentTask = await behalfClient.agentTasks.create({
      onBehalfOf: { userId: 'user_1' },
      permissions: '*',
      agentName: 'my-agent',
      taskDescription: 'Automated test login',
      redirectUrl: 'http://localhost:3000/dashboard',
    })

    expect(behalfClient.apiUrl).toBe(behalfServer.url)
    expect(agentTask).toStrictEqual({ agentId: 'agent_1', agentTaskId: 'agt_1', url: 'http://x/accept' })
    expect(behalfServer.requests[0]?.headers.authorization).toBe(`Bearer ${SECRET_KEY}`)
  })
})
