import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose'

import { resolveApiUrl } from '../config.js'
import { CLOCK_SKEW_LEEWAY_SECONDS } from '../constants.js'
import { TokenVerificationError, isTokenVerificationError } from '../errors.js'
import { validateClaims, type ClaimChecks, type SessionClaims } from './claims.js'
import { VerifiedClaimsCache } from './claims-cache.js'
import { pemKeySource, remoteJwksKeySource, type KeySource } from './keys.js'
import { loadNodeCrypto, type NodeCrypto } from './node-crypto.js'
import { completeVerification, prepareToken, type PreparedToken } from './verify-node.js'

export interface VerifyTokenOptions {
  /** Behalf server URL. The JWKS is fetched from `${apiUrl}/.well-known/jwks.json`. Defaults to `BEHALF_API_URL`, then `http://localhost:4000`. */
  apiUrl?: string
  /** Expected `iss` claim: the server's public URL. Defaults to `apiUrl`. */
  issuer?: string
  /** Accepted `azp` values (app origins). When given and non-empty, a token without a listed `azp` is rejected. */
  authorizedParties?: readonly string[]
  /**
   * PEM-encoded RSA public key (SPKI) of the server. When given, verification makes no network
   * call at all. Otherwise the JWKS is fetched once and cached.
   */
  jwtKey?: string
  /** Leeway for `exp` and `nbf`, in seconds. Defaults to 5. */
  clockSkewInSeconds?: number
}

/**
 * Maximum number of verified tokens kept in memory for each key source (a JWKS URL or a PEM
 * key). The least recently used is evicted first.
 */
export const VERIFIED_CLAIMS_CACHE_SIZE = 10_000

// One cache per key source, keyed by the token, so a token verified with one server's keys is
// never accepted from the cache when a call names other keys. A separate cache, rather than the
// key source's id prefixed to the token, spares every request a copy of the token for the key.
// Expiry, issuer, azp and sts are checked on every hit by validateClaims.
// NOTE: a key removed from the JWKS keeps validating its cached tokens until they expire
// (60 s by default), because a hit does not consult the JWKS.
const verifiedClaimsBySource = new Map<string, VerifiedClaimsCache>()

function verifiedClaimsCache(keySourceId: string): VerifiedClaimsCache {
  let cache = verifiedClaimsBySource.get(keySourceId)
  if (cache === undefined) {
    cache = new VerifiedClaimsCache(VERIFIED_CLAIMS_CACHE_SIZE)
    verifiedClaimsBySource.set(keySourceId, cache)
  }
  return cache
}

/**
 * Verifies a session token without a network call (apart from the first JWKS fetch) and
 * returns its claims. Accepts RS256 only, checks `iss`, `azp` (when `authorizedParties` is
 * given), `exp` and `nbf` with a leeway, and `sts: "active"`.
 *
 * @throws {TokenVerificationError} with a `reason` naming the failed check.
 */
export async function verifyToken(token: string, options: VerifyTokenOptions = {}): Promise<SessionClaims> {
  return verifyTokenEagerly(token, options)
}

/**
 * Verifies a session token as {@link verifyToken} does, but returns the claims without a
 * promise when no step has to wait: a token in the verified-claims cache, or on Node.js a new
 * token whose key is already imported. Failures of those steps throw synchronously, and the
 * others reject the returned promise.
 */
export function verifyTokenEagerly(token: string, options: VerifyTokenOptions = {}): SessionClaims | Promise<SessionClaims> {
  if (typeof token !== 'string') throw malformedTokenError()

  let apiUrl: string
  try {
    apiUrl = resolveApiUrl(options.apiUrl)
  } catch (error) {
    // A malformed token is reported before a configuration error, whichever check runs first.
    if (!COMPACT_JWS.test(token)) throw malformedTokenError()
    throw error
  }
  const keySource = options.jwtKey === undefined ? remoteJwksKeySource(apiUrl) : pemKeySource(options.jwtKey)
  const clockSkewInSeconds = options.clockSkewInSeconds ?? CLOCK_SKEW_LEEWAY_SECONDS
  const checks = {
    issuer: options.issuer ?? apiUrl,
    authorizedParties: options.authorizedParties ?? [],
    clockSkewInSeconds,
    now: Math.floor(Date.now() / 1000),
  }

  // A cached token passed the shape check when it was verified, so hits skip it.
  const verifiedClaims = verifiedClaimsCache(keySource.id)
  const cached = verifiedClaims.get(token)
  if (cached !== undefined) {
    try {
      return validateClaims(cached, checks)
    } catch (error) {
      if (isTokenVerificationError(error) && error.reason === 'token-expired') verifiedClaims.delete(token)
      throw error
    }
  }

  if (!COMPACT_JWS.test(token)) throw malformedTokenError()
  const verified = verifySignature(token, keySource, clockSkewInSeconds)
  if (verified instanceof Promise) return verified.then((payload) => cacheVerifiedClaims(token, payload, checks, verifiedClaims))
  return cacheVerifiedClaims(token, verified, checks, verifiedClaims)
}

function cacheVerifiedClaims(token: string, payload: JWTPayload, checks: ClaimChecks, verifiedClaims: VerifiedClaimsCache): SessionClaims {
  const claims = validateClaims(payload, checks)
  verifiedClaims.set(token, Object.freeze(payload))
  return claims
}

function malformedTokenError(): TokenVerificationError {
  return new TokenVerificationError(
    'token-malformed',
    'Session token is not a JWT in compact serialization (three dot-separated base64url parts without padding).',
  )
}

// Three parts of the base64url alphabet (RFC 7515 section 2: no padding, no whitespace). An
// empty part passes here, so that jose's order of checks decides the error, as it would for
// `alg: none` with an empty signature.
const COMPACT_JWS = /^[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/

/** Empties the cache of verified tokens. Tests use it, and apps have no need to. */
export function clearVerifiedTokenCache(): void {
  verifiedClaimsBySource.clear()
}

/**
 * Checks the signature and the registered claims. On Node.js the check runs synchronously
 * through node:crypto, and elsewhere (edge runtimes, browsers) through jose and WebCrypto. Both
 * apply the same checks and throw the same errors.
 *
 * Returns the payload without a promise when the key is at hand (an imported PEM key on
 * Node.js), which spares the caller a promise turn per token.
 */
function verifySignature(token: string, keySource: KeySource, clockSkewInSeconds: number): JWTPayload | Promise<JWTPayload> {
  const nodeCrypto = loadNodeCrypto()
  // jose also accepts a duration string such as "5s" as the tolerance, which the node:crypto path does not parse.
  if (nodeCrypto === null || !(Number.isFinite(clockSkewInSeconds) && clockSkewInSeconds >= 0)) {
    return verifyWithJose(token, keySource, clockSkewInSeconds)
  }

  let prepared: PreparedToken | 'unsupported'
  try {
    prepared = prepareToken(token, nodeCrypto)
  } catch (error) {
    throw toTokenVerificationError(error)
  }
  if (prepared === 'unsupported') return verifyWithJose(token, keySource, clockSkewInSeconds)

  const { importedKey } = keySource
  if (importedKey !== undefined) return completeWithNodeCrypto(prepared, importedKey, keySource, clockSkewInSeconds, nodeCrypto)
  return keySource
    .getKey(prepared.header, prepared.jws)
    .then((key) => completeWithNodeCrypto(prepared, key, keySource, clockSkewInSeconds, nodeCrypto))
}

function completeWithNodeCrypto(
  prepared: PreparedToken,
  key: CryptoKey,
  keySource: KeySource,
  clockSkewInSeconds: number,
  nodeCrypto: NodeCrypto,
): JWTPayload | Promise<JWTPayload> {
  let payload: JWTPayload | 'unsupported'
  try {
    payload = completeVerification(prepared, key, clockSkewInSeconds, nodeCrypto)
  } catch (error) {
    throw toTokenVerificationError(error)
  }
  return payload === 'unsupported' ? verifyWithJose(prepared.token, keySource, clockSkewInSeconds) : payload
}

async function verifyWithJose(token: string, keySource: KeySource, clockSkewInSeconds: number): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, (header, jws) => keySource.getKey(header, jws), {
      algorithms: ['RS256'],
      typ: 'JWT',
      clockTolerance: clockSkewInSeconds,
      requiredClaims: ['exp', 'sub', 'sid', 'iss'],
    })
    return payload
  } catch (error) {
    throw toTokenVerificationError(error)
  }
}

/** Maps the errors jose 6 throws from jwtVerify to reason codes. */
function toTokenVerificationError(error: unknown): TokenVerificationError {
  if (isTokenVerificationError(error)) return error

  if (error instanceof joseErrors.JWTExpired) {
    return new TokenVerificationError('token-expired', `Session token has expired: ${error.message}.`, { cause: error })
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) {
    return new TokenVerificationError(
      'token-invalid-algorithm',
      'Session token is not signed with RS256, the only algorithm Behalf accepts.',
      { cause: error },
    )
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new TokenVerificationError(
      'token-invalid-signature',
      'Session token signature is invalid: it was not signed by this Behalf server, or it was altered.',
      { cause: error },
    )
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') {
      return new TokenVerificationError('token-not-active-yet', `Session token is not active yet: ${error.message}.`, {
        cause: error,
      })
    }
    if (error.reason === 'missing' && error.claim !== 'typ') {
      return new TokenVerificationError('token-missing-claim', `Session token is invalid: ${error.message}.`, {
        cause: error,
      })
    }
    return new TokenVerificationError('token-malformed', `Session token is invalid: ${error.message}.`, { cause: error })
  }
  if (error instanceof joseErrors.JOSEError || error instanceof TypeError) {
    return new TokenVerificationError('token-malformed', `Session token is malformed: ${error.message}.`, { cause: error })
  }
  return new TokenVerificationError('token-malformed', 'Session token could not be verified.', { cause: error })
}
