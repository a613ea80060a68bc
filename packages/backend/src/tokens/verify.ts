import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose'

import { resolveApiUrl } from '../config.js'
import { CLOCK_SKEW_LEEWAY_SECONDS } from '../constants.js'
import { TokenVerificationError, isTokenVerificationError } from '../errors.js'
import { validateClaims, type SessionClaims } from './claims.js'
import { VerifiedClaimsCache } from './claims-cache.js'
import { pemKeySource, remoteJwksKeySource, type KeySource } from './keys.js'

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
  if (typeof token !== 'string' || !hasThreeParts(token)) {
    throw new TokenVerificationError('token-malformed', 'Session token is not a JWT in compact serialization (three dot-separated parts).')
  }

  const apiUrl = resolveApiUrl(options.apiUrl)
  const keySource = options.jwtKey === undefined ? remoteJwksKeySource(apiUrl) : pemKeySource(options.jwtKey)
  const clockSkewInSeconds = options.clockSkewInSeconds ?? CLOCK_SKEW_LEEWAY_SECONDS
  const checks = {
    issuer: options.issuer ?? apiUrl,
    authorizedParties: options.authorizedParties ?? [],
    clockSkewInSeconds,
    now: Math.floor(Date.now() / 1000),
  }

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

  const payload = await verifySignature(token, keySource, clockSkewInSeconds)
  const claims = validateClaims(payload, checks)
  verifiedClaims.set(token, Object.freeze(payload))
  return claims
}

/** Returns whether a string has exactly two dots, as `split('.').length === 3` does, without copying its parts. */
function hasThreeParts(token: string): boolean {
  const first = token.indexOf('.')
  if (first === -1) return false
  const second = token.indexOf('.', first + 1)
  return second !== -1 && token.indexOf('.', second + 1) === -1
}

/** Empties the cache of verified tokens. Tests use it, and apps have no need to. */
export function clearVerifiedTokenCache(): void {
  verifiedClaimsBySource.clear()
}

async function verifySignature(token: string, keySource: KeySource, clockSkewInSeconds: number): Promise<JWTPayload> {
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
