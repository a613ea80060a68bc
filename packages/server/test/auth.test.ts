import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { sha256Hex } from '../src/crypto/random.js'
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
    // The server may keep a key it found valid for BEHALF_SECRET_KEY_CACHE_SECONDS, 5 by default.
    await new Promise((resolve) => setTimeout(resolve, 5_000))
    const after = await server.api('GET', '/v1/users', undefined, { authorization: `Bearer ${created.secretKey}` })
    expect(after.status).toBe(401)
  })
})

describe('secret key cache', () => {
  async function useRevokeUse(cacheSeconds: string, waitMs: number): Promise<number[]> {
    const cached = await startTestServer({ BEHALF_SECRET_KEY_CACHE_SECONDS: cacheSeconds })
    try {
      const created = await createSecretKey(cached.db, 'development')
      const authorization = `Bearer ${created.secretKey}`
      const before = await cached.api('GET', '/v1/users', undefined, { authorization })
      await revokeSecretKey(cached.db, created.id)
      const justAfter = await cached.api('GET', '/v1/users', undefined, { authorization })
      await new Promise((resolve) => setTimeout(resolve, waitMs))
      const later = await cached.api('GET', '/v1/users', undefined, { authorization })
      return [before.status, justAfter.status, later.status]
    } finally {
      await cached.close()
    }
  }

  it('revoked key rejected after lifetime', async () => {
    const [before, justAfter, later] = await useRevokeUse('1', 1_100)
    expect(before).toBe(200)
    // Within the lifetime the process still trusts its earlier lookup.
    expect(justAfter).toBe(200)
    expect(later).toBe(401)
  })

  it('lifetime 0 rejects at once', async () => {
    const [before, justAfter, later] = await useRevokeUse('0', 0)
    expect(before).toBe(200)
    expect(justAfter).toBe(401)
    expect(later).toBe(401)
  })

  it('unknown key never cached', async () => {
    const cached = await startTestServer({ BEHALF_SECRET_KEY_CACHE_SECONDS: '60' })
    try {
      const secretKey = `sk_test_${'C'.repeat(43)}`
      const unknown = await cached.api('GET', '/v1/users', undefined, { authorization: `Bearer ${secretKey}` })
      expect(unknown.status).toBe(401)

      // The same key, once stored, works on the next request: the failed lookup was not kept.
      await cached.db
        .insertInto('secret_keys')
        .values({ id: 'key_cachetest', key_hash: sha256Hex(secretKey), hint: 'sk_test_CCCC…', created_at: Date.now(), revoked_at: null })
        .execute()
      const stored = await cached.api('GET', '/v1/users', undefined, { authorization: `Bearer ${secretKey}` })
      expect(stored.status).toBe(200)
    } finally {
      await cached.close()
    }
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
