import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createSecretKey, revokeSecretKey } from '../src/keys/secret-keys.js'
import { startTestServer, type ApiResponse, type TestServer } from './support/server.js'

let server: TestServer
let revokedKey: string

beforeAll(async () => {
  server = await startTestServer()
  const created = await createSecretKey(server.db, 'development')
  expect(await revokeSecretKey(server.db, created.id)).toBe(true)
  revokedKey = created.secretKey
})

afterAll(async () => {
  await server?.close()
})

/** The parts of a 401 that must not depend on which part of the key was wrong. */
function withoutTraceId(response: ApiResponse): unknown {
  const { clerk_trace_id: traceId, ...rest } = response.body
  expect(traceId).toMatch(/^trace_/)
  return rest
}

describe('secret key', () => {
  const cases: Array<[string, () => string | null]> = [
    ['no header', () => null],
    ['empty header', () => ''],
    ['Basic scheme', () => `Basic ${Buffer.from(`user:${server.secretKey}`).toString('base64')}`],
    ['key without scheme', () => server.secretKey],
    ['malformed key', () => 'Bearer not-a-secret-key'],
    ['key with trailing junk', () => `Bearer ${server.secretKey} extra`],
    ['unknown test key', () => `Bearer sk_test_${'A'.repeat(43)}`],
    ['unknown live key', () => `Bearer sk_live_${'B'.repeat(43)}`],
    ['revoked key', () => `Bearer ${revokedKey}`],
  ]

  it.each(cases)('%s returns 401', async (_name, authorization) => {
    const response = await server.api('GET', '/v1/users', undefined, { authorization: authorization() })

    expect(response.status).toBe(401)
    expect(response.statusText).toBe('Unauthorized')
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(response.body.errors[0].code).toBe('authentication_invalid')
  })

  it('401 bodies differ only in trace id', async () => {
    const bodies: unknown[] = []
    for (const [, authorization] of cases) {
      const response = await server.api('POST', '/v1/agents/tasks', { on_behalf_of: { user_id: 'user_x' } }, { authorization: authorization() })
      bodies.push(withoutTraceId(response))
    }
    for (const body of bodies.slice(1)) expect(body).toEqual(bodies[0])
  })

  it('401 precedes route matching', async () => {
    const response = await server.api('GET', '/v1/no-such-endpoint', undefined, { authorization: null })
    expect(response.status).toBe(401)
  })

  it('valid key is accepted', async () => {
    const response = await server.api('GET', '/v1/users')
    expect(response.status).toBe(200)
  })

  it('scheme is case-insensitive', async () => {
    const response = await server.api('GET', '/v1/users', undefined, { authorization: `bearer ${server.secretKey}` })
    expect(response.status).toBe(200)
  })

  it('instance key has sk_test prefix', () => {
    expect(server.secretKey).toMatch(/^sk_test_[0-9A-Za-z]{43}$/)
  })

  it('revoked key stops working', async () => {
    const created = await createSecretKey(server.db, 'development')
    const before = await server.api('GET', '/v1/users', undefined, { authorization: `Bearer ${created.secretKey}` })
    expect(before.status).toBe(200)

    await revokeSecretKey(server.db, created.id)
    const after = await server.api('GET', '/v1/users', undefined, { authorization: `Bearer ${created.secretKey}` })
    expect(after.status).toBe(401)
  })
})

describe('public routes', () => {
  it.each(['/.well-known/jwks.json', '/health'])('%s needs no key', async (path) => {
    const response = await fetch(`${server.url}${path}`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json')
  })
})

describe('status line', () => {
  it.each([
    [400, 'Bad Request', 'POST', '/v1/users', '{'],
    [404, 'Not Found', 'GET', '/v1/users/user_doesnotexist', undefined],
    [404, 'Not Found', 'GET', '/v1/no-such-endpoint', undefined],
    [413, 'Payload Too Large', 'POST', '/v1/users', JSON.stringify({ first_name: 'x'.repeat(200_000) })],
    [422, 'Unprocessable Entity', 'POST', '/v1/users', {}],
  ])('%i carries reason phrase', async (status, reason, method, path, body) => {
    const response = await server.api(method, path, body)
    expect(response.status).toBe(status)
    expect(response.statusText).toBe(reason)
    expect(response.headers.get('content-type')).toBe('application/json')
  })
})
