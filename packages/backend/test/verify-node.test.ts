import { createHmac, generateKeyPairSync, sign as signWithNodeCrypto } from 'node:crypto'

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'

import { TokenVerificationError } from '../src/errors.js'
import { disableNodeCryptoForTesting, loadNodeCrypto } from '../src/tokens/node-crypto.js'
import { clearVerifiedTokenCache, verifyToken, type VerifyTokenOptions } from '../src/tokens/verify.js'
import { createSigningKey, FakeBehalfServer, type SigningKey } from './helpers/fake-behalf-server.js'

const APP_ORIGIN = 'http://app.test'

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
  disableNodeCryptoForTesting(false)
  vi.restoreAllMocks()
})

function base64url(value: string | Uint8Array): string {
  return Buffer.from(value).toString('base64url')
}

function encodeJson(value: unknown): string {
  return base64url(JSON.stringify(value))
}

function validClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000)
  const claims: Record<string, unknown> = {
    iss: server.url,
    sub: 'user_1',
    sid: 'sess_1',
    iat: now,
    nbf: now,
    exp: now + 60,
    azp: APP_ORIGIN,
    sts: 'active',
    ...overrides,
  }
  for (const [name, value] of Object.entries(claims)) {
    if (value === undefined) delete claims[name]
  }
  return claims
}

/** Signs `header.payload` with RS256 as given, so tests can sign headers and payloads that jose's SignJWT would not produce. */
async function signSegments(encodedHeader: string, encodedPayload: string, signingKey = key): Promise<string> {
  const signingInput = `${encodedHeader}.${encodedPayload}`
  const signature = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', signingKey.privateKey, new TextEncoder().encode(signingInput))
  return `${signingInput}.${base64url(new Uint8Array(signature))}`
}

function signParts(header: Record<string, unknown>, claims: Record<string, unknown>, signingKey = key): Promise<string> {
  return signSegments(encodeJson({ alg: 'RS256', typ: 'JWT', kid: signingKey.kid, ...header }), encodeJson(claims), signingKey)
}

function options(overrides: VerifyTokenOptions = {}): VerifyTokenOptions {
  return { apiUrl: server.url, authorizedParties: [APP_ORIGIN], ...overrides }
}

interface Outcome {
  reason: string
  message: string
}

async function outcome(token: string, verifyOptions: VerifyTokenOptions): Promise<Outcome> {
  clearVerifiedTokenCache()
  try {
    const claims = await verifyToken(token, verifyOptions)
    return { reason: 'no-error', message: `sub ${claims.sub}` }
  } catch (error) {
    expect(error).toBeInstanceOf(TokenVerificationError)
    const { reason, message } = error as TokenVerificationError
    return { reason, message }
  }
}

/** Verifies the token on the node:crypto path and on the jose path. */
async function bothPaths(token: string, verifyOptions = options()): Promise<{ node: Outcome; jose: Outcome }> {
  disableNodeCryptoForTesting(false)
  const node = await outcome(token, verifyOptions)
  disableNodeCryptoForTesting(true)
  const jose = await outcome(token, verifyOptions)
  disableNodeCryptoForTesting(false)
  return { node, jose }
}

describe('verifyToken node:crypto path', () => {
  it('loads node:crypto on Node.js', () => {
    expect(loadNodeCrypto()).not.toBeNull()
  })

  it('verifies without WebCrypto', async () => {
    const verifySpy = vi.spyOn(globalThis.crypto.subtle, 'verify')
    const token = await signParts({}, validClaims())

    const claims = await verifyToken(token, options())

    expect(claims.sub).toBe('user_1')
    expect(verifySpy).not.toHaveBeenCalled()
  })

  it('verifies PEM keys without WebCrypto', async () => {
    const verifySpy = vi.spyOn(globalThis.crypto.subtle, 'verify')
    const token = await signParts({}, validClaims())

    const claims = await verifyToken(token, options({ jwtKey: key.publicPem }))

    expect(claims.sid).toBe('sess_1')
    expect(verifySpy).not.toHaveBeenCalled()
  })

  it('rejects token of another key', async () => {
    const token = await signParts({ kid: key.kid }, validClaims(), otherKey)

    const { node, jose } = await bothPaths(token)

    expect(node.reason).toBe('token-invalid-signature')
    expect(node).toEqual(jose)
  })

  it('rejects tampered payload', async () => {
    const [header, , signature] = (await signParts({}, validClaims())).split('.')
    const token = `${header}.${encodeJson(validClaims({ sub: 'user_admin' }))}.${signature}`

    const { node, jose } = await bothPaths(token)

    expect(node.reason).toBe('token-invalid-signature')
    expect(node).toEqual(jose)
  })

  it('rejects tampered header', async () => {
    const [, payload, signature] = (await signParts({}, validClaims())).split('.')
    const token = `${encodeJson({ alg: 'RS256', typ: 'JWT', kid: key.kid, extra: 1 })}.${payload}.${signature}`

    const { node, jose } = await bothPaths(token)

    expect(node.reason).toBe('token-invalid-signature')
    expect(node).toEqual(jose)
  })

  it('rejects tampered signature', async () => {
    const token = await signParts({}, validClaims())
    const lastCharacter = token.at(-2) === 'A' ? 'B' : 'A'
    const tampered = `${token.slice(0, -2)}${lastCharacter}${token.at(-1)}`

    const { node, jose } = await bothPaths(tampered)

    expect(node.reason).toBe('token-invalid-signature')
    expect(node).toEqual(jose)
  })

  it('rejects other algorithms before keys', async () => {
    // A server that was never asked for its JWKS shows whether a key was looked up.
    const untouchedServer = await new FakeBehalfServer().start()
    untouchedServer.jwks = { keys: [key.publicJwk] }
    try {
      const verifyOptions = { apiUrl: untouchedServer.url, authorizedParties: [APP_ORIGIN] }
      const claims = encodeJson(validClaims({ iss: untouchedServer.url }))
      const hmacHeader = encodeJson({ alg: 'HS256', typ: 'JWT', kid: key.kid })
      const hmacSignature = createHmac('sha256', key.publicPem).update(`${hmacHeader}.${claims}`).digest('base64url')
      const tokens = {
        none: `${encodeJson({ alg: 'none', typ: 'JWT' })}.${claims}.`,
        HS256: `${hmacHeader}.${claims}.${hmacSignature}`,
        RS512: await signSegments(encodeJson({ alg: 'RS512', typ: 'JWT', kid: key.kid }), claims),
        PS256: await signSegments(encodeJson({ alg: 'PS256', typ: 'JWT', kid: key.kid }), claims),
        ES256: `${encodeJson({ alg: 'ES256', typ: 'JWT', kid: key.kid })}.${claims}.${base64url('x'.repeat(64))}`,
        lowercase: await signSegments(encodeJson({ alg: 'rs256', typ: 'JWT', kid: key.kid }), claims),
      }

      for (const [name, token] of Object.entries(tokens)) {
        const { node, jose } = await bothPaths(token, verifyOptions)
        expect(node.reason, name).toBe('token-invalid-algorithm')
        expect(node, name).toEqual(jose)
      }
      expect(untouchedServer.jwksFetchCount).toBe(0)
    } finally {
      await untouchedServer.stop()
    }
  })
})

describe('verifyToken path parity', () => {
  const cases: Array<[string, () => Promise<string>, string]> = [
    ['valid token', () => signParts({}, validClaims()), 'no-error'],
    ['typ application/jwt', () => signParts({ typ: 'application/jwt' }, validClaims()), 'no-error'],
    ['typ lowercase', () => signParts({ typ: 'jwt' }, validClaims()), 'no-error'],
    ['typ at+jwt', () => signParts({ typ: 'at+jwt' }, validClaims()), 'token-malformed'],
    ['typ missing', () => signParts({ typ: undefined }, validClaims()), 'token-malformed'],
    ['typ number', () => signParts({ typ: 1 }, validClaims()), 'token-malformed'],
    ['alg missing', () => signParts({ alg: undefined }, validClaims()), 'token-malformed'],
    ['alg empty', () => signParts({ alg: '' }, validClaims()), 'token-malformed'],
    ['unknown kid', () => signParts({ kid: 'no-such-kid' }, validClaims()), 'jwk-not-found'],
    ['expired', () => signParts({}, validClaims({ exp: Math.floor(Date.now() / 1000) - 60 })), 'token-expired'],
    ['exp within leeway', () => signParts({}, validClaims({ exp: Math.floor(Date.now() / 1000) - 2 })), 'no-error'],
    ['exp string', () => signParts({}, validClaims({ exp: '9999999999' })), 'token-malformed'],
    ['nbf in future', () => signParts({}, validClaims({ nbf: Math.floor(Date.now() / 1000) + 60 })), 'token-not-active-yet'],
    ['nbf string', () => signParts({}, validClaims({ nbf: 'now' })), 'token-not-active-yet'],
    ['iat string', () => signParts({}, validClaims({ iat: 'now' })), 'token-malformed'],
    ['exp missing', () => signParts({}, validClaims({ exp: undefined })), 'token-missing-claim'],
    ['sub missing', () => signParts({}, validClaims({ sub: undefined })), 'token-missing-claim'],
    ['sid missing', () => signParts({}, validClaims({ sid: undefined })), 'token-missing-claim'],
    ['iss missing', () => signParts({}, validClaims({ iss: undefined })), 'token-missing-claim'],
    ['all claims missing', () => signParts({}, {}), 'token-missing-claim'],
    ['crit unknown', () => signParts({ crit: ['exp'], exp: 1 }, validClaims()), 'token-malformed'],
    ['crit empty', () => signParts({ crit: [] }, validClaims()), 'token-malformed'],
    ['crit b64 missing', () => signParts({ crit: ['b64'] }, validClaims()), 'token-malformed'],
    ['crit b64 true', () => signParts({ crit: ['b64'], b64: true }, validClaims()), 'no-error'],
    ['crit b64 false', () => signParts({ crit: ['b64'], b64: false }, validClaims()), 'token-malformed'],
    ['header array', () => signSegments(encodeJson(['RS256']), encodeJson(validClaims())), 'token-malformed'],
    ['header not JSON', () => signSegments(base64url('{"alg":'), encodeJson(validClaims())), 'token-malformed'],
    ['header empty', () => signSegments('', encodeJson(validClaims())), 'token-malformed'],
    ['payload array', () => signSegments(encodeJson({ alg: 'RS256', typ: 'JWT', kid: key.kid }), encodeJson([1])), 'token-malformed'],
    ['payload null', () => signSegments(encodeJson({ alg: 'RS256', typ: 'JWT', kid: key.kid }), encodeJson(null)), 'token-malformed'],
    ['payload not JSON', () => signSegments(encodeJson({ alg: 'RS256', typ: 'JWT', kid: key.kid }), base64url('sub=user_1')), 'token-malformed'],
    [
      'payload invalid UTF-8',
      () => signSegments(encodeJson({ alg: 'RS256', typ: 'JWT', kid: key.kid }), base64url(Uint8Array.of(0x7b, 0xff, 0x7d))),
      'token-malformed',
    ],
    ['payload empty', () => signSegments(encodeJson({ alg: 'RS256', typ: 'JWT', kid: key.kid }), ''), 'token-malformed'],
    ['signature empty', async () => `${(await signParts({}, validClaims())).split('.').slice(0, 2).join('.')}.`, 'token-invalid-signature'],
    ['signature truncated', async () => (await signParts({}, validClaims())).slice(0, -4), 'token-invalid-signature'],
    ['signature one byte too long', async () => `${await signParts({}, validClaims())}AA`, 'token-invalid-signature'],
    // 256 bytes take 342 base64url characters, and 345 is a length no base64 text has.
    ['signature length 1 mod 4', async () => `${await signParts({}, validClaims())}AAA`, 'token-malformed'],
    ['header length 1 mod 4', async () => `A${await signParts({}, validClaims())}`, 'token-malformed'],
  ]

  for (const [name, makeToken, expectedReason] of cases) {
    it(`agrees on ${name}`, async () => {
      const { node, jose } = await bothPaths(await makeToken())

      expect(node.reason).toBe(expectedReason)
      expect(node).toEqual(jose)
    })
  }

  it('agrees on RSA keys under 2048 bits', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 })
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString()
    const signingInput = `${encodeJson({ alg: 'RS256', typ: 'JWT' })}.${encodeJson(validClaims())}`
    const token = `${signingInput}.${signWithNodeCrypto('RSA-SHA256', Buffer.from(signingInput), privateKey).toString('base64url')}`

    const { node, jose } = await bothPaths(token, options({ jwtKey: pem }))

    expect(node.reason).toBe('token-malformed')
    expect(node).toEqual(jose)
  })

  it('rejects base64 padding and whitespace', async () => {
    const token = await signParts({}, validClaims())
    const [header, payload, signature] = token.split('.')

    for (const malformed of [`${header}=.${payload}.${signature}`, `${header}.${payload} .${signature}`, `${header}.${payload}.${signature}==`]) {
      const { node, jose } = await bothPaths(malformed)
      expect(node.reason).toBe('token-malformed')
      expect(node).toEqual(jose)
    }
  })
})
