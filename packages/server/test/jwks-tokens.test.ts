import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { agentSession, APP_ORIGIN, exchangeOk, handoffCodeOf, uniqueSuffix } from './support/fixtures.js'
import { signUp } from './support/forms.js'
import { startTestServer, type TestServer } from './support/server.js'

let server: TestServer

beforeAll(async () => {
  server = await startTestServer()
})

afterAll(async () => {
  await server?.close()
})

/** Fetches the public JWKS the way an app's verifier does: no secret key. */
async function publicJwks(): Promise<JSONWebKeySet> {
  const response = await fetch(`${server.url}/.well-known/jwks.json`)
  expect(response.status).toBe(200)
  return (await response.json()) as JSONWebKeySet
}

async function verifyWithPublicJwks(token: string) {
  return jwtVerify(token, createLocalJWKSet(await publicJwks()), { issuer: server.config.publicUrl, algorithms: ['RS256'] })
}

describe('JWKS', () => {
  it('publishes RS256 2048-bit keys', async () => {
    const response = await fetch(`${server.url}/.well-known/jwks.json`)
    expect(response.headers.get('content-type')).toBe('application/json')
    const { keys } = (await response.json()) as JSONWebKeySet

    expect(keys.length).toBeGreaterThan(0)
    for (const key of keys) {
      expect(key.kty).toBe('RSA')
      expect(key.alg).toBe('RS256')
      expect(key.use).toBe('sig')
      expect(key.kid).toEqual(expect.any(String))
      expect(Buffer.from(key.n ?? '', 'base64url').length * 8).toBe(2048)
    }
  })

  it('never publishes private key parts', async () => {
    const { keys } = await publicJwks()
    for (const key of keys) {
      for (const privateMember of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(privateMember)
    }
  })

  it('/v1/jwks matches public JWKS', async () => {
    const response = await server.api('GET', '/v1/jwks')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(response.body).toEqual(await publicJwks())
  })

  it('/v1/jwks requires secret key', async () => {
    const response = await server.api('GET', '/v1/jwks', undefined, { authorization: null })
    expect(response.status).toBe(401)
  })
})

describe('agent session token', () => {
  it('verifies with public JWKS', async () => {
    const { tokens } = await agentSession(server)
    const { protectedHeader } = await verifyWithPublicJwks(tokens.session_token)
    const { keys } = await publicJwks()

    expect(protectedHeader.alg).toBe('RS256')
    expect(protectedHeader.typ).toBe('JWT')
    expect(keys.map((key) => key.kid)).toContain(protectedHeader.kid)
  })

  it('carries the documented claims', async () => {
    const agentName = `claims-agent-${uniqueSuffix()}`
    const { user, task, tokens } = await agentSession(server, { agent_name: agentName })
    const { payload } = await verifyWithPublicJwks(tokens.session_token)

    expect(payload.iss).toBe(server.config.publicUrl)
    expect(payload.sub).toBe(user.id)
    expect(payload.sid).toBe(tokens.session_id)
    expect(payload.azp).toBe(APP_ORIGIN)
    expect(payload.sts).toBe('active')
    expect(payload.permissions).toEqual(['*'])
    expect(payload.act).toEqual({ sub: task.agentId, name: agentName, agent_task_id: task.agentTaskId })
  })

  it('lives 60 seconds', async () => {
    const { tokens } = await agentSession(server)
    const { payload } = await verifyWithPublicJwks(tokens.session_token)
    const nowSeconds = Math.floor(Date.now() / 1000)

    expect(payload.iat).toBeGreaterThanOrEqual(nowSeconds - 5)
    expect(payload.iat).toBeLessThanOrEqual(nowSeconds)
    expect(payload.nbf).toBe(payload.iat)
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(60)
  })

  it('fails with wrong issuer', async () => {
    const { tokens } = await agentSession(server)
    const jwks = createLocalJWKSet(await publicJwks())
    await expect(jwtVerify(tokens.session_token, jwks, { issuer: 'https://other.example' })).rejects.toThrow(/iss/)
  })

  it('refreshed token has same claims', async () => {
    const { tokens } = await agentSession(server)
    const refreshed = await server.api('POST', '/v1/sessions/refresh', { refresh_token: tokens.refresh_token, origin: APP_ORIGIN })
    const original = (await verifyWithPublicJwks(tokens.session_token)).payload
    const renewed = (await verifyWithPublicJwks(refreshed.body.session_token)).payload

    expect(decodeProtectedHeader(refreshed.body.session_token).kid).toBe(decodeProtectedHeader(tokens.session_token).kid)
    for (const claim of ['iss', 'sub', 'sid', 'azp', 'sts', 'permissions', 'act']) expect(renewed[claim], claim).toEqual(original[claim])
  })
})

describe('person session token', () => {
  it('has no act claim', async () => {
    const email = `person-${uniqueSuffix()}@example.com`
    const redirect = await signUp(server, { email, password: 'correct horse battery' }, `${APP_ORIGIN}/home`)
    expect(redirect.status).toBe(303)
    const tokens = await exchangeOk(server, handoffCodeOf(redirect) ?? '')
    const { payload, protectedHeader } = await verifyWithPublicJwks(tokens.session_token)

    expect(protectedHeader.typ).toBe('JWT')
    expect(payload).not.toHaveProperty('act')
    expect(payload.sid).toBe(tokens.session_id)
    expect(payload.azp).toBe(APP_ORIGIN)
    expect(payload.permissions).toEqual(['*'])
    expect(payload.sts).toBe('active')
  })
})
