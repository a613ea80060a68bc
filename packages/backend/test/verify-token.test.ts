import { createHmac } from 'node:crypto'

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'

import { TokenVerificationError } from '../src/errors.js'
import { VerifiedClaimsCache } from '../src/tokens/claims-cache.js'
import { clearVerifiedTokenCache, verifyToken, type VerifyTokenOptions } from '../src/tokens/verify.js'
import {
  closedPort,
  createSigningKey,
  FakeBehalfServer,
  signSessionToken,
  type SigningKey,
} from './helpers/fake-behalf-server.js'

const APP_ORIGIN = 'http://app.test'

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url')
}

/** Returns the verification error's reason, or 'no-error' when verification succeeded. */
async function rejectionReason(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'no-error'
  } catch (error) {
    expect(error).toBeInstanceOf(TokenVerificationError)
    return (error as TokenVerificationError).reason
  }
}

let server: FakeBehalfServer
let key: SigningKey
let otherKey: SigningKey

beforeAll(async () => {
  key = await createSigningKey('key-1')
  otherKey = await createSigningKey('key-2')
  server = await new FakeBehalfServer().start()
  server.jwks = { keys: [key.publicJwk] }
})

afterAll(async () => {
  await server.stop()
})

beforeEach(() => {
  clearVerifiedTokenCache()
})

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

function options(overrides: VerifyTokenOptions = {}): VerifyTokenOptions {
  return { apiUrl: server.url, authorizedParties: [APP_ORIGIN], ...overrides }
}

function sign(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, signingKey = key): Promise<string> {
  return signSessionToken(signingKey, { iss: server.url, ...claims }, header)
}

describe('verifyToken', () => {
  it('returns claims of valid token', async () => {
    const token = await sign({ sub: 'user_42', sid: 'sess_42' })

    const claims = await verifyToken(token, options())

    expect(claims.sub).toBe('user_42')
    expect(claims.sid).toBe('sess_42')
    expect(claims.azp).toBe(APP_ORIGIN)
    expect(claims.sts).toBe('active')
  })

  it('rejects alg none', async () => {
    const now = Math.floor(Date.now() / 1000)
    const header = base64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))
    const payload = base64url(
      JSON.stringify({ iss: server.url, sub: 'user_1', sid: 'sess_1', exp: now + 60, azp: APP_ORIGIN, sts: 'active' }),
    )

    expect(await rejectionReason(verifyToken(`${header}.${payload}.`, options()))).toBe('token-invalid-algorithm')
  })

  it('rejects HS256 keyed with public key', async () => {
    const now = Math.floor(Date.now() / 1000)
    const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: key.kid }))
    const payload = base64url(
      JSON.stringify({ iss: server.url, sub: 'user_1', sid: 'sess_1', exp: now + 60, azp: APP_ORIGIN, sts: 'active' }),
    )
    const signature = createHmac('sha256', key.publicPem).update(`${header}.${payload}`).digest('base64url')
    const token = `${header}.${payload}.${signature}`

    expect(await rejectionReason(verifyToken(token, options()))).toBe('token-invalid-algorithm')
    expect(await rejectionReason(verifyToken(token, options({ jwtKey: key.publicPem })))).toBe('token-invalid-algorithm')
  })

  it('rejects signature of another key', async () => {
    const token = await sign({}, { kid: key.kid }, otherKey)

    expect(await rejectionReason(verifyToken(token, options()))).toBe('token-invalid-signature')
  })

  it('rejects altered payload', async () => {
    const token = await sign({ sub: 'user_1' })
    const [header, , signature] = token.split('.')
    const forgedPayload = base64url(JSON.stringify({ ...decodePayload(token), sub: 'user_admin' }))

    expect(await rejectionReason(verifyToken(`${header}.${forgedPayload}.${signature}`, options()))).toBe(
      'token-invalid-signature',
    )
  })

  it('rejects wrong issuer', async () => {
    const token = await sign({ iss: 'http://evil.test' })

    expect(await rejectionReason(verifyToken(token, options()))).toBe('token-invalid-issuer')
  })

  it('accepts explicit issuer option', async () => {
    const token = await sign({ iss: 'https://auth.example.com' })

    expect(await rejectionReason(verifyToken(token, options({ issuer: 'https://auth.example.com/' })))).toBe('no-error')
    expect(await rejectionReason(verifyToken(token, options()))).toBe('token-invalid-issuer')
  })

  it('rejects wrong authorized party', async () => {
    const token = await sign({ azp: 'http://other-app.test' })

    expect(await rejectionReason(verifyToken(token, options()))).toBe('token-invalid-authorized-party')
  })

  it('rejects missing azp when required', async () => {
    const token = await sign({ azp: undefined })

    expect(await rejectionReason(verifyToken(token, options()))).toBe('token-invalid-authorized-party')
  })

  it('skips azp without authorizedParties', async () => {
    const token = await sign({ azp: 'http://other-app.test' })

    expect(await rejectionReason(verifyToken(token, options({ authorizedParties: undefined })))).toBe('no-error')
  })

  it('rejects expired token', async () => {
    const now = Math.floor(Date.now() / 1000)
    const token = await sign({ iat: now - 120, nbf: now - 120, exp: now - 10 })

    expect(await rejectionReason(verifyToken(token, options()))).toBe('token-expired')
  })

  it('accepts expiry within leeway', async () => {
    const now = Math.floor(Date.now() / 1000)
    const token = await sign({ iat: now - 120, nbf: now - 120, exp: now - 3 })

    expect(await rejectionReason(verifyToken(token, options()))).toBe('no-error')
  })

  it('rejects nbf beyond leeway', async () => {
    const now = Math.floor(Date.now() / 1000)
    const token = await sign({ iat: now, nbf: now + 30, exp: now + 90 })

    expect(await rejectionReason(verifyToken(token, options()))).toBe('token-not-active-yet')
  })

  it('accepts nbf within leeway', async () => {
    const now = Math.floor(Date.now() / 1000)
    const token = await sign({ iat: now, nbf: now + 3, exp: now + 60 })

    expect(await rejectionReason(verifyToken(token, options()))).toBe('no-error')
  })

  it('rejects inactive session status', async () => {
    const token = await sign({ sts: 'revoked' })

    expect(await rejectionReason(verifyToken(token, options()))).toBe('token-invalid-session-status')
  })

  it('rejects missing sid', async () => {
    const token = await sign({ sid: undefined })

    expect(await rejectionReason(verifyToken(token, options()))).toBe('token-missing-claim')
  })

  it('rejects missing typ header', async () => {
    const token = await sign({}, { typ: undefined })

    expect(await rejectionReason(verifyToken(token, options()))).toBe('token-malformed')
  })

  it('rejects malformed strings', async () => {
    expect(await rejectionReason(verifyToken('', options()))).toBe('token-malformed')
    expect(await rejectionReason(verifyToken('not-a-jwt', options()))).toBe('token-malformed')
    expect(await rejectionReason(verifyToken('a.b.c', options()))).toBe('token-malformed')
  })

  it('fetches JWKS once per apiUrl', async () => {
    const fetchesBefore = server.jwksFetchCount
    for (let index = 0; index < 5; index += 1) {
      await verifyToken(await sign({ sid: `sess_${index}` }), options())
    }

    expect(server.jwksFetchCount - fetchesBefore).toBeLessThanOrEqual(1)
  })

  it('rejects unknown kid during cooldown', async () => {
    await verifyToken(await sign(), options())
    const fetchesBefore = server.jwksFetchCount
    const token = await sign({}, { kid: 'unknown-kid' }, otherKey)

    expect(await rejectionReason(verifyToken(token, options()))).toBe('jwk-not-found')
    expect(server.jwksFetchCount).toBe(fetchesBefore)
  })

  it('reports unreachable JWKS', async () => {
    const apiUrl = `http://127.0.0.1:${await closedPort()}`
    const token = await signSessionToken(key, { iss: apiUrl })

    expect(await rejectionReason(verifyToken(token, { apiUrl, authorizedParties: [APP_ORIGIN] }))).toBe('jwks-fetch-failed')
  })
})

describe('verifyToken key rotation', () => {
  let rotatingServer: FakeBehalfServer

  beforeAll(async () => {
    rotatingServer = await new FakeBehalfServer().start()
    rotatingServer.jwks = { keys: [key.publicJwk] }
  })

  afterAll(async () => {
    await rotatingServer.stop()
  })

  it('refetches JWKS on unknown kid', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'))
    const rotatingOptions = { apiUrl: rotatingServer.url, authorizedParties: [APP_ORIGIN] }

    await verifyToken(await signSessionToken(key, { iss: rotatingServer.url }), rotatingOptions)
    expect(rotatingServer.jwksFetchCount).toBe(1)

    // The server publishes a new key; jose refetches for an unknown kid once its 30 s cooldown has passed.
    rotatingServer.jwks = { keys: [key.publicJwk, otherKey.publicJwk] }
    vi.setSystemTime(new Date('2030-01-01T00:00:31Z'))
    const rotatedToken = await signSessionToken(otherKey, { iss: rotatingServer.url })

    const claims = await verifyToken(rotatedToken, rotatingOptions)

    expect(claims.sub).toBe('user_1')
    expect(rotatingServer.jwksFetchCount).toBe(2)
  })
})

describe('verifyToken with jwtKey', () => {
  it('verifies without network', async () => {
    const apiUrl = `http://127.0.0.1:${await closedPort()}`
    const token = await signSessionToken(key, { iss: apiUrl })

    const claims = await verifyToken(token, { apiUrl, jwtKey: key.publicPem, authorizedParties: [APP_ORIGIN] })

    expect(claims.sub).toBe('user_1')
  })

  it('accepts PEM with escaped newlines', async () => {
    const token = await signSessionToken(key, { iss: 'http://behalf.test' })
    const escapedPem = key.publicPem.replace(/\n/g, '\\n')

    const claims = await verifyToken(token, { issuer: 'http://behalf.test', jwtKey: escapedPem })

    expect(claims.sid).toBe('sess_1')
  })

  it('rejects invalid PEM', async () => {
    const token = await signSessionToken(key, { iss: 'http://behalf.test' })

    expect(await rejectionReason(verifyToken(token, { issuer: 'http://behalf.test', jwtKey: 'not a pem' }))).toBe('jwk-invalid')
  })

  it('rejects token of another key', async () => {
    const token = await signSessionToken(otherKey, { iss: 'http://behalf.test' })

    expect(await rejectionReason(verifyToken(token, { issuer: 'http://behalf.test', jwtKey: key.publicPem }))).toBe(
      'token-invalid-signature',
    )
  })
})

describe('verifyToken cache', () => {
  it('returns cached claims without verifying', async () => {
    const token = await sign()
    const first = await verifyToken(token, options())
    const verifySpy = vi.spyOn(globalThis.crypto.subtle, 'verify')

    const second = await verifyToken(token, options())

    expect(second).toBe(first)
    expect(verifySpy).not.toHaveBeenCalled()
  })

  it('rejects cached token after exp', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'))
    const token = await sign()
    await verifyToken(token, options())

    vi.setSystemTime(new Date('2030-01-01T00:01:06Z'))

    expect(await rejectionReason(verifyToken(token, options()))).toBe('token-expired')
  })

  it('rechecks azp on cache hit', async () => {
    const token = await sign()
    await verifyToken(token, options())

    expect(await rejectionReason(verifyToken(token, options({ authorizedParties: ['http://other-app.test'] })))).toBe(
      'token-invalid-authorized-party',
    )
  })

  it('rechecks issuer on cache hit', async () => {
    const token = await sign()
    await verifyToken(token, options())

    expect(await rejectionReason(verifyToken(token, options({ issuer: 'http://evil.test' })))).toBe('token-invalid-issuer')
  })

  it('keeps verifications per key source', async () => {
    const token = await sign()
    await verifyToken(token, options())

    expect(await rejectionReason(verifyToken(token, options({ issuer: server.url, jwtKey: otherKey.publicPem })))).toBe(
      'token-invalid-signature',
    )
  })
})

describe('VerifiedClaimsCache', () => {
  it('evicts least recently used', () => {
    const cache = new VerifiedClaimsCache(2)
    cache.set('a', { sub: 'a' })
    cache.set('b', { sub: 'b' })
    cache.get('a')
    cache.set('c', { sub: 'c' })

    expect(cache.size).toBe(2)
    expect(cache.get('a')).toEqual({ sub: 'a' })
    expect(cache.get('b')).toBeUndefined()
    expect(cache.get('c')).toEqual({ sub: 'c' })
  })
})

function decodePayload(token: string): Record<string, unknown> {
  const payload = token.split('.')[1] ?? ''
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>
}
