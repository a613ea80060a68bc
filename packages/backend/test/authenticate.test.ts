import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'

import { BehalfConfigurationError } from '../src/errors.js'
import { authenticateRequest, type AuthenticateRequestOptions } from '../src/request/authenticate.js'
import { clearAuthCookies, signOut } from '../src/request/sign-out.js'
import { clearVerifiedTokenCache } from '../src/tokens/verify.js'
import { closedPort, createSigningKey, FakeBehalfServer, signSessionToken, type SigningKey } from './helpers/fake-behalf-server.js'

const SECRET_KEY = 'sk_test_authenticate_secret'
const APP = 'http://app.test'

let server: FakeBehalfServer
let key: SigningKey
let foreignKey: SigningKey

beforeAll(async () => {
  key = await createSigningKey('key-1')
  foreignKey = await createSigningKey('key-1')
  server = await new FakeBehalfServer().start()
  server.jwks = { keys: [key.publicJwk] }
})

afterAll(async () => {
  await server.stop()
})

beforeEach(() => {
  server.requests.length = 0
  server.routes.clear()
  clearVerifiedTokenCache()
  vi.restoreAllMocks()
  vi.spyOn(console, 'warn').mockImplementation(() => undefined)
})

function options(overrides: AuthenticateRequestOptions = {}): AuthenticateRequestOptions {
  return { secretKey: SECRET_KEY, apiUrl: server.url, ...overrides }
}

function sign(claims: Record<string, unknown> = {}, signingKey = key): Promise<string> {
  return signSessionToken(signingKey, { iss: server.url, ...claims })
}

function expiredClaims(): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000)
  return { iat: now - 120, nbf: now - 120, exp: now - 60 }
}

function request(path: string, init: { cookie?: string; authorization?: string; method?: string; origin?: string } = {}): Request {
  const headers = new Headers()
  if (init.cookie !== undefined) headers.set('Cookie', init.cookie)
  if (init.authorization !== undefined) headers.set('Authorization', init.authorization)
  return new Request(`${init.origin ?? APP}${path}`, { method: init.method ?? 'GET', headers })
}

function onExchange(sessionToken: string): void {
  server.on('POST', '/v1/handoffs/exchange', () => ({
    status: 200,
    body: { object: 'session_tokens', session_id: 'sess_1', session_token: sessionToken, refresh_token: 'rt_1' },
  }))
}

function onRefresh(result: { status: number; sessionToken?: string; headers?: Record<string, string> }): void {
  server.on('POST', '/v1/sessions/refresh', () =>
    result.status === 200
      ? { status: 200, body: { object: 'session_token', session_id: 'sess_1', session_token: result.sessionToken } }
      : {
          status: result.status,
          headers: result.headers,
          body: { errors: [{ code: 'session_revoked', message: 'revoked', long_message: 'Session revoked', meta: {} }] },
        },
  )
}

describe('authenticateRequest handoff', () => {
  it('exchanges code and sets cookies', async () => {
    onExchange(await sign())

    const state = await authenticateRequest(request('/dashboard?tab=1&__behalf_handoff=code_1'), options())

    const exchange = server.requestsTo('POST', '/v1/handoffs/exchange')[0]
    expect(JSON.parse(exchange?.body ?? '{}')).toStrictEqual({ code: 'code_1', origin: APP })
    expect(exchange?.headers.authorization).toBe(`Bearer ${SECRET_KEY}`)
    expect(state.status).toBe('redirect')
    expect(state.reason).toBe('handoff-exchanged')
    expect(state.redirectUrl).toBe(`${APP}/dashboard?tab=1`)
    expect(state.headers.get('Cache-Control')).toBe('no-store')
    expect(state.toAuth().userId).toBe('user_1')
  })

  it('sets HttpOnly Lax cookies', async () => {
    const token = await sign()
    onExchange(token)

    const state = await authenticateRequest(request('/dashboard?__behalf_handoff=code_1'), options())

    const [sessionCookie, refreshCookie] = state.headers.getSetCookie()
    expect(sessionCookie).toMatch(new RegExp(`^__behalf_session=${token.replace(/\./g, '\\.')};`))
    expect(sessionCookie).toContain('HttpOnly')
    expect(sessionCookie).toContain('SameSite=Lax')
    expect(sessionCookie).toContain('Path=/')
    expect(sessionCookie).not.toContain('Secure')
    expect(refreshCookie).toMatch(/^__behalf_refresh=rt_1;/)
    expect(refreshCookie).toContain('HttpOnly')
  })

  it('adds Secure on https', async () => {
    onExchange(await sign({ azp: 'https://app.test' }))

    const state = await authenticateRequest(
      request('/dashboard?__behalf_handoff=code_1', { origin: 'https://app.test' }),
      options(),
    )

    expect(state.reason).toBe('handoff-exchanged')
    for (const cookie of state.headers.getSetCookie()) expect(cookie).toContain('; Secure')
  })

  it('redirects without cookies on rejected code', async () => {
    server.on('POST', '/v1/handoffs/exchange', () => ({
      status: 410,
      body: { errors: [{ code: 'handoff_code_invalid', message: 'invalid', long_message: 'Handoff code already used', meta: {} }] },
    }))

    const state = await authenticateRequest(request('/dashboard?__behalf_handoff=used'), options())

    expect(state.status).toBe('redirect')
    expect(state.reason).toBe('handoff-failed')
    expect(state.redirectUrl).toBe(`${APP}/dashboard`)
    expect(state.headers.getSetCookie()).toEqual([])
    expect(state.toAuth().isAuthenticated).toBe(false)
    expect(state.message).toContain('handoff_code_invalid')
  })

  it('survives unreachable server', async () => {
    const apiUrl = `http://127.0.0.1:${await closedPort()}`

    const state = await authenticateRequest(request('/d?__behalf_handoff=code_1'), options({ apiUrl }))

    expect(state.status).toBe('redirect')
    expect(state.reason).toBe('handoff-failed')
    expect(state.headers.getSetCookie()).toEqual([])
  })

  it('rejects token for another origin', async () => {
    onExchange(await sign({ azp: 'http://other-app.test' }))

    const state = await authenticateRequest(request('/d?__behalf_handoff=code_1'), options())

    expect(state.reason).toBe('handoff-failed')
    expect(state.headers.getSetCookie()).toEqual([])
  })

  it('skips empty code', async () => {
    const state = await authenticateRequest(request('/d?__behalf_handoff='), options())

    expect(state.reason).toBe('handoff-failed')
    expect(server.requests).toHaveLength(0)
  })

  it('ignores code on POST', async () => {
    const state = await authenticateRequest(request('/d?__behalf_handoff=code_1', { method: 'POST' }), options())

    expect(state.status).toBe('signed-out')
    expect(server.requests).toHaveLength(0)
  })
})

describe('authenticateRequest tokens', () => {
  it('signs in from session cookie', async () => {
    const token = await sign({ sub: 'user_7', sid: 'sess_7' })

    const state = await authenticateRequest(request('/', { cookie: `__behalf_session=${token}` }), options())
    const auth = state.toAuth()

    expect(state.status).toBe('signed-in')
    expect(state.headers.getSetCookie()).toEqual([])
    expect(auth.isAuthenticated).toBe(true)
    expect(auth.userId).toBe('user_7')
    expect(auth.sessionId).toBe('sess_7')
    expect(auth.actor).toBeNull()
    expect(auth.isAgent).toBe(false)
    expect(await auth.getToken()).toBe(token)
  })

  it('exposes agent actor', async () => {
    const token = await sign({ act: { sub: 'agent_1', name: 'my-agent', agent_task_id: 'agt_1' }, permissions: ['*'] })

    const auth = (await authenticateRequest(request('/', { cookie: `__behalf_session=${token}` }), options())).toAuth()

    expect(auth.isAgent).toBe(true)
    expect(auth.actor).toStrictEqual({ sub: 'agent_1', name: 'my-agent', agentTaskId: 'agt_1' })
    expect(auth.permissions).toEqual(['*'])
    expect(auth.has({ permission: 'org:billing:manage' })).toBe(true)
  })

  it('has checks exact permission', async () => {
    const token = await sign({ permissions: ['read:reports'] })

    const auth = (await authenticateRequest(request('/', { cookie: `__behalf_session=${token}` }), options())).toAuth()

    expect(auth.has({ permission: 'read:reports' })).toBe(true)
    expect(auth.has({ permission: 'write:reports' })).toBe(false)
  })

  it('signs in from bearer token', async () => {
    const token = await sign()

    const state = await authenticateRequest(request('/api', { authorization: `Bearer ${token}` }), options())

    expect(state.status).toBe('signed-in')
    expect(state.toAuth().userId).toBe('user_1')
    expect(state.headers.getSetCookie()).toEqual([])
  })

  it('never refreshes invalid bearer token', async () => {
    const token = await sign(expiredClaims())
    onRefresh({ status: 200, sessionToken: await sign() })

    const state = await authenticateRequest(
      request('/api', { authorization: `Bearer ${token}`, cookie: '__behalf_refresh=rt_1' }),
      options(),
    )

    expect(state.status).toBe('signed-out')
    expect(state.reason).toBe('bearer-token-invalid')
    expect(server.requests).toHaveLength(0)
    expect(state.headers.getSetCookie()).toEqual([])
  })

  it('signs out without cookies', async () => {
    const state = await authenticateRequest(request('/'), options())
    const auth = state.toAuth()

    expect(state.status).toBe('signed-out')
    expect(state.reason).toBe('session-token-missing')
    expect(auth.isAuthenticated).toBe(false)
    expect(auth.userId).toBeNull()
    expect(auth.sessionId).toBeNull()
    expect(auth.permissions).toEqual([])
    expect(auth.has({ permission: '*' })).toBe(false)
    expect(auth.sessionClaims).toBeNull()
    expect(await auth.getToken()).toBeNull()
  })

  it('treats forged cookie as absent', async () => {
    const forged = await sign({}, foreignKey)

    const state = await authenticateRequest(request('/', { cookie: `__behalf_session=${forged}` }), options())

    expect(state.status).toBe('signed-out')
    expect(state.reason).toBe('session-token-invalid')
    expect(state.headers.getSetCookie()).toEqual([])
  })

  it('rejects token of other app', async () => {
    const token = await sign({ azp: 'http://other-app.test' })

    const state = await authenticateRequest(request('/', { cookie: `__behalf_session=${token}` }), options())

    expect(state.status).toBe('signed-out')
  })

  it('honours explicit authorizedParties', async () => {
    const token = await sign({ azp: 'https://app.example.com' })

    const state = await authenticateRequest(
      request('/', { cookie: `__behalf_session=${token}` }),
      options({ authorizedParties: ['https://app.example.com'] }),
    )

    expect(state.status).toBe('signed-in')
  })
})

describe('authenticateRequest refresh', () => {
  it('refreshes expired session token', async () => {
    const expired = await sign(expiredClaims())
    const fresh = await sign({ sid: 'sess_1' })
    onRefresh({ status: 200, sessionToken: fresh })

    const state = await authenticateRequest(
      request('/', { cookie: `__behalf_session=${expired}; __behalf_refresh=rt_1` }),
      options(),
    )

    const refreshCall = server.requestsTo('POST', '/v1/sessions/refresh')[0]
    expect(JSON.parse(refreshCall?.body ?? '{}')).toStrictEqual({ refresh_token: 'rt_1', origin: APP })
    expect(state.status).toBe('signed-in')
    expect(state.reason).toBe('session-refreshed')
    expect(state.headers.getSetCookie()).toHaveLength(2)
    expect(state.headers.getSetCookie()[0]).toMatch(/^__behalf_session=/)
    expect(state.headers.getSetCookie()[1]).toMatch(/^__behalf_refresh=rt_1;.*Max-Age=604800/)
    expect(await state.toAuth().getToken()).toBe(fresh)
  })

  it('refreshes missing session token', async () => {
    onRefresh({ status: 200, sessionToken: await sign() })

    const state = await authenticateRequest(request('/', { cookie: '__behalf_refresh=rt_1' }), options())

    expect(state.status).toBe('signed-in')
  })

  it('clears cookies on rejected refresh', async () => {
    onRefresh({ status: 410 })

    const state = await authenticateRequest(request('/', { cookie: '__behalf_refresh=rt_1' }), options())

    const cookies = state.headers.getSetCookie()
    expect(state.status).toBe('signed-out')
    expect(state.reason).toBe('refresh-token-rejected')
    expect(cookies).toHaveLength(2)
    expect(cookies[0]).toMatch(/^__behalf_session=;.*Max-Age=0/)
    expect(cookies[1]).toMatch(/^__behalf_refresh=;.*Max-Age=0/)
  })

  it('clears cookies on 404 refresh', async () => {
    onRefresh({ status: 404 })

    const state = await authenticateRequest(request('/', { cookie: '__behalf_refresh=unknown' }), options())

    expect(state.headers.getSetCookie()).toHaveLength(2)
  })

  it('keeps cookies on 500 refresh', async () => {
    onRefresh({ status: 500 })

    const state = await authenticateRequest(request('/', { cookie: '__behalf_refresh=rt_1' }), options())

    expect(state.status).toBe('signed-out')
    expect(state.reason).toBe('refresh-failed')
    expect(state.headers.getSetCookie()).toEqual([])
  })

  it('keeps cookies on 429 refresh', async () => {
    onRefresh({ status: 429, headers: { 'Retry-After': '1' } })

    const state = await authenticateRequest(request('/', { cookie: '__behalf_refresh=rt_1' }), options())

    expect(state.reason).toBe('refresh-failed')
    expect(state.headers.getSetCookie()).toEqual([])
  })

  it('keeps cookies on network error', async () => {
    const apiUrl = `http://127.0.0.1:${await closedPort()}`

    const state = await authenticateRequest(request('/', { cookie: '__behalf_refresh=rt_1' }), options({ apiUrl }))

    expect(state.status).toBe('signed-out')
    expect(state.reason).toBe('refresh-failed')
    expect(state.headers.getSetCookie()).toEqual([])
  })

  it('rate-limits refresh warnings', async () => {
    onRefresh({ status: 503 })
    const warn = vi.mocked(console.warn)

    for (let index = 0; index < 3; index += 1) {
      await authenticateRequest(request('/', { cookie: '__behalf_refresh=rt_1' }), options())
    }

    expect(warn.mock.calls.length).toBeLessThanOrEqual(1)
    for (const call of warn.mock.calls) expect(String(call[0])).not.toContain('rt_1')
  })
})

describe('signOut', () => {
  it('revokes verified session', async () => {
    server.on('POST', '/v1/sessions/sess_9/revoke', () => ({ status: 200, body: { object: 'session', id: 'sess_9' } }))
    const token = await sign({ sid: 'sess_9' })

    const result = await signOut(request('/', { cookie: `__behalf_session=${token}` }), options())

    expect(result.sessionId).toBe('sess_9')
    expect(server.requestsTo('POST', '/v1/sessions/sess_9/revoke')).toHaveLength(1)
    expect(result.headers.getSetCookie()).toHaveLength(2)
  })

  it('never revokes forged session', async () => {
    const forged = await sign({ sid: 'sess_victim' }, foreignKey)

    const result = await signOut(request('/', { cookie: `__behalf_session=${forged}` }), options())

    expect(result.sessionId).toBeNull()
    expect(server.requests).toHaveLength(0)
    expect(result.headers.getSetCookie()).toHaveLength(2)
  })

  it('tolerates already revoked session', async () => {
    server.on('POST', '/v1/sessions/sess_1/revoke', () => ({ status: 410, body: { errors: [] } }))

    const result = await signOut(request('/'), { ...options(), sessionId: 'sess_1' })

    expect(result.sessionId).toBe('sess_1')
  })

  it('throws on server error', async () => {
    server.on('POST', '/v1/sessions/sess_1/revoke', () => ({ status: 500, body: { errors: [] } }))

    await expect(signOut(request('/'), { ...options(), sessionId: 'sess_1' })).rejects.toThrow(/500/)
  })

  it('clearAuthCookies marks Secure on https', () => {
    const cookies = clearAuthCookies(new Request('https://app.test/')).getSetCookie()

    expect(cookies).toHaveLength(2)
    for (const cookie of cookies) expect(cookie).toContain('Secure')
  })
})

describe('authenticateRequest configuration', () => {
  it('throws without secret key', async () => {
    vi.stubEnv('BEHALF_SECRET_KEY', '')

    await expect(authenticateRequest(request('/'), { apiUrl: server.url })).rejects.toThrow(BehalfConfigurationError)
    vi.unstubAllEnvs()
  })

  it('defaults signInUrl to issuer', async () => {
    const state = await authenticateRequest(request('/'), options({ issuer: 'https://auth.example.com/' }))

    expect(state.signInUrl).toBe('https://auth.example.com/sign-in')
  })
})
