import { errors as joseErrors, type JWTPayload } from 'jose'

import type { NodeCrypto, NodeKeyObject } from './node-crypto.js'

/** A token whose header passed the checks that come before the key lookup. */
export interface PreparedToken {
  token: string
  /** Decoded header, frozen because tokens with the same header text share it. */
  header: Readonly<Record<string, unknown>>
  /** The three segments, in the shape jose passes to a key resolver. */
  jws: { protected: string; payload: string; signature: string }
  /** Index of the dot before the signature. */
  lastDot: number
}

// KeyObjects by the CryptoKey that jose resolved for a kid or imported from a PEM. jose keeps
// returning the same CryptoKey for a JWK until the JWKS is fetched again, so each key is
// converted once.
const keyObjects = new WeakMap<CryptoKey, NodeKeyObject>()

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

// Decoded headers that passed the checks in prepareToken, by their base64url text. A server
// signs every token with one of a few keys, so its tokens share a few header texts, and a hit
// spares decoding and parsing the header. A header is a pure function of its text, so an entry
// can never be wrong. The map is emptied when full, which bounds it against tokens with
// made-up headers.
const checkedHeaders = new Map<string, Readonly<Record<string, unknown>>>()
const MAX_CHECKED_HEADERS = 64

// The two steps below verify an RS256 compact JWS with `crypto.verify` from node:crypto, which
// runs synchronously on the calling thread, where WebCrypto in Node.js 20 queues each check on
// the libuv thread pool. Their checks, order and errors are those of jose 6.2's `jwtVerify`
// with the options that `verifyToken` passes to it (`algorithms: ['RS256']`, `typ: 'JWT'`,
// `requiredClaims` and `clockTolerance`), so that callers map both paths' errors the same way.
// Both steps throw jose's error classes.

/**
 * Decodes the header and applies the checks that jose runs before it looks up a key: a JSON
 * object header, the `crit` rules and the RS256 algorithm. Returns `'unsupported'` for an
 * unencoded payload (`b64: false`), which is left to jose.
 *
 * The token must already match the compact shape: three base64url segments without padding.
 */
export function prepareToken(token: string, crypto: NodeCrypto): PreparedToken | 'unsupported' {
  const firstDot = token.indexOf('.')
  const lastDot = token.lastIndexOf('.')
  const encodedHeader = token.slice(0, firstDot)
  const jws = { protected: encodedHeader, payload: token.slice(firstDot + 1, lastDot), signature: token.slice(lastDot + 1) }

  const checkedHeader = checkedHeaders.get(encodedHeader)
  if (checkedHeader !== undefined) return { token, header: checkedHeader, jws, lastDot }

  const header = decodeJsonObject(encodedHeader, crypto)
  if (header === undefined) throw new joseErrors.JWSInvalid('JWS Protected Header is invalid')

  const payloadIsEncoded = checkCriticalHeaders(header)
  if (!payloadIsEncoded) return 'unsupported'

  // The algorithm is checked before any key is looked up, so `alg: none` or HS256 never reach a key.
  const { alg } = header
  if (typeof alg !== 'string' || alg === '') throw new joseErrors.JWSInvalid('JWS "alg" (Algorithm) Header Parameter missing or invalid')
  if (alg !== 'RS256') throw new joseErrors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed')

  if (checkedHeaders.size >= MAX_CHECKED_HEADERS) checkedHeaders.clear()
  checkedHeaders.set(encodedHeader, Object.freeze(header))
  return { token, header, jws, lastDot }
}

/**
 * Checks the signature with the key that the key source returned for the header, then decodes
 * and checks the claims set. Returns `'unsupported'` for a key that is not an RS256 public
 * CryptoKey of 2048 bits or more, whose error jose then reports.
 */
export function completeVerification(
  prepared: PreparedToken,
  cryptoKey: CryptoKey,
  clockSkewInSeconds: number,
  crypto: NodeCrypto,
): JWTPayload | 'unsupported' {
  const keyObject = toKeyObject(cryptoKey, crypto)
  if (keyObject === undefined) return 'unsupported'

  const { jws } = prepared
  if (jws.signature.length % 4 === 1) throw new joseErrors.JWSInvalid('Failed to base64url decode the signature')
  const signature = crypto.Buffer.from(jws.signature, 'base64url')
  const signingInput = crypto.Buffer.from(prepared.token.slice(0, prepared.lastDot), 'latin1')
  let verified: boolean
  try {
    verified = crypto.verify('RSA-SHA256', signingInput, keyObject, signature)
  } catch (cause) {
    throw new joseErrors.JWSSignatureVerificationFailed(undefined, { cause })
  }
  if (!verified) throw new joseErrors.JWSSignatureVerificationFailed()

  if (jws.payload.length % 4 === 1) throw new joseErrors.JWSInvalid('Failed to base64url decode the payload')
  const payload = decodeJsonObject(jws.payload, crypto)
  if (payload === undefined) throw new joseErrors.JWTInvalid('JWT Claims Set must be a top-level JSON object')
  return validateClaimsSet(prepared.header, payload, clockSkewInSeconds)
}

/**
 * Decodes a base64url segment as strict UTF-8 JSON. Returns undefined unless it is a JSON
 * object, as jose requires of the header and the claims set.
 */
function decodeJsonObject(segment: string, crypto: NodeCrypto): Record<string, unknown> | undefined {
  if (segment.length % 4 === 1) return undefined
  let value: unknown
  try {
    value = JSON.parse(decodeUtf8(segment, crypto))
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  return value as Record<string, unknown>
}

/**
 * Decodes base64url text as UTF-8 and throws on invalid UTF-8, as jose's strict decoder does.
 * Node's Buffer decoder is faster but replaces invalid bytes with U+FFFD, so text that contains
 * U+FFFD after decoding is decoded again by the strict decoder, which tells the two cases apart.
 */
function decodeUtf8(segment: string, crypto: NodeCrypto): string {
  const bytes = crypto.Buffer.from(segment, 'base64url')
  const text = bytes.toString('utf8')
  return text.includes('\uFFFD') ? strictUtf8.decode(bytes) : text
}

/**
 * Applies jose's `crit` rules: the only extension it recognizes is `b64`, which must then be a
 * boolean in the header. Returns false for `b64: false`, an unencoded payload.
 */
function checkCriticalHeaders(header: Readonly<Record<string, unknown>>): boolean {
  const { crit } = header
  if (crit === undefined) return true
  if (!Array.isArray(crit) || crit.length === 0 || crit.some((name) => typeof name !== 'string' || name.length === 0)) {
    throw new joseErrors.JWSInvalid('"crit" (Critical) Header Parameter MUST be an array of non-empty strings when present')
  }
  for (const name of crit as string[]) {
    if (name !== 'b64') throw new joseErrors.JOSENotSupported(`Extension Header Parameter "${name}" is not recognized`)
    if (!Object.hasOwn(header, name) || header[name] === undefined) {
      throw new joseErrors.JWSInvalid(`Extension Header Parameter "${name}" is missing`)
    }
  }
  if (typeof header.b64 !== 'boolean') {
    throw new joseErrors.JWSInvalid('The "b64" (base64url-encode payload) Header Parameter must be a boolean')
  }
  return header.b64
}

/**
 * Returns the KeyObject of an RS256 public CryptoKey with a modulus of 2048 bits or more, or
 * undefined for any other key, whose error jose then reports.
 */
function toKeyObject(key: CryptoKey, crypto: NodeCrypto): NodeKeyObject | undefined {
  let keyObject = keyObjects.get(key)
  if (keyObject !== undefined) return keyObject

  const algorithm = key.algorithm as RsaHashedKeyAlgorithm
  const usable =
    key.type === 'public' &&
    algorithm.name === 'RSASSA-PKCS1-v1_5' &&
    algorithm.hash?.name === 'SHA-256' &&
    typeof algorithm.modulusLength === 'number' &&
    algorithm.modulusLength >= 2048 &&
    key.usages.includes('verify')
  if (!usable) return undefined

  try {
    keyObject = crypto.KeyObject.from(key)
  } catch {
    return undefined
  }
  keyObjects.set(key, keyObject)
  return keyObject
}

function normalizeTyp(value: string): string {
  const normalized = value.toLowerCase()
  return value.includes('/') ? normalized : `application/${normalized}`
}

const REQUIRED_CLAIMS = ['iss', 'sid', 'sub', 'exp'] as const

/**
 * Checks the claims set as jose's `validateClaimsSet` does for `verifyToken`'s options, in the
 * same order: the `typ` header, the required claims (checked in reverse order of
 * `requiredClaims`, as jose does), then `iat`, `nbf` and `exp`.
 */
function validateClaimsSet(header: Readonly<Record<string, unknown>>, claims: Record<string, unknown>, tolerance: number): JWTPayload {
  if (typeof header.typ !== 'string' || normalizeTyp(header.typ) !== 'application/jwt') {
    throw new joseErrors.JWTClaimValidationFailed('unexpected "typ" JWT header value', claims, 'typ', 'check_failed')
  }
  for (const claim of REQUIRED_CLAIMS) {
    if (!Object.hasOwn(claims, claim)) {
      throw new joseErrors.JWTClaimValidationFailed(`missing required "${claim}" claim`, claims, claim, 'missing')
    }
  }

  const now = Math.floor(Date.now() / 1000)
  const iat = claims.iat
  if (iat !== undefined && typeof iat !== 'number') {
    throw new joseErrors.JWTClaimValidationFailed('"iat" claim must be a number', claims, 'iat', 'invalid')
  }
  const nbf = claims.nbf
  if (nbf !== undefined) {
    if (typeof nbf !== 'number') throw new joseErrors.JWTClaimValidationFailed('"nbf" claim must be a number', claims, 'nbf', 'invalid')
    if (nbf > now + tolerance) {
      throw new joseErrors.JWTClaimValidationFailed('"nbf" claim timestamp check failed', claims, 'nbf', 'check_failed')
    }
  }
  const exp = claims.exp
  if (exp !== undefined) {
    if (typeof exp !== 'number') throw new joseErrors.JWTClaimValidationFailed('"exp" claim must be a number', claims, 'exp', 'invalid')
    if (exp <= now - tolerance) throw new joseErrors.JWTExpired('"exp" claim timestamp check failed', claims, 'exp', 'check_failed')
  }
  return claims as JWTPayload
}
