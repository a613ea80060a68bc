import type { JWTPayload } from 'jose'

import { stripTrailingSlashes } from '../config.js'
import { TokenVerificationError } from '../errors.js'

/** RFC 8693 actor claim of an agent session. */
export interface ActorClaim {
  /** Agent id. */
  sub: string
  /** Agent name. */
  name?: string
  agent_task_id?: string
}

/** Claims of a verified session token. Times are NumericDate (Unix seconds). */
export interface SessionClaims extends JWTPayload {
  /** Public URL of the Behalf server that signed the token. */
  iss: string
  /** User id. */
  sub: string
  /** Session id. */
  sid: string
  exp: number
  iat?: number
  nbf?: number
  /** Authorized party: origin of the app the session was handed to. */
  azp?: string
  /** Session status at the time the token was signed. Verification accepts only `'active'`. */
  sts: string
  permissions?: string[]
  /** Present when an agent acts on the user's behalf. */
  act?: ActorClaim
}

export interface ClaimChecks {
  issuer: string
  /** Accepted `azp` values. An empty list skips the check. */
  authorizedParties: readonly string[]
  clockSkewInSeconds: number
  /** Current time in Unix seconds. */
  now: number
}

// Equal strings, the case on every request, skip the two regular expressions.
function sameIssuer(claimed: string, expected: string): boolean {
  return claimed === expected || stripTrailingSlashes(claimed) === stripTrailingSlashes(expected)
}

/**
 * Throws a {@link TokenVerificationError} unless the claims of a token whose signature was
 * already verified are acceptable now. Runs on every call, also for cached tokens, so that
 * expiry and the caller's issuer and authorized parties always apply.
 */
export function validateClaims(payload: JWTPayload, checks: ClaimChecks): SessionClaims {
  const { now, clockSkewInSeconds: leeway } = checks

  if (typeof payload.exp !== 'number') {
    throw new TokenVerificationError('token-missing-claim', 'Session token has no numeric "exp" claim.')
  }
  if (payload.exp <= now - leeway) {
    throw new TokenVerificationError(
      'token-expired',
      `Session token expired at ${new Date(payload.exp * 1000).toISOString()}, more than ${leeway}s ago.`,
    )
  }
  if (typeof payload.nbf === 'number' && payload.nbf > now + leeway) {
    throw new TokenVerificationError(
      'token-not-active-yet',
      `Session token is not valid before ${new Date(payload.nbf * 1000).toISOString()}. Check the clock of this machine.`,
    )
  }

  if (typeof payload.iss !== 'string' || !sameIssuer(payload.iss, checks.issuer)) {
    throw new TokenVerificationError(
      'token-invalid-issuer',
      `Session token issuer ${JSON.stringify(payload.iss)} does not match the expected issuer "${checks.issuer}". ` +
        "Set the issuer option (or apiUrl) to the Behalf server's public URL.",
    )
  }

  if (checks.authorizedParties.length > 0) {
    const azp = payload.azp
    if (typeof azp !== 'string' || !checks.authorizedParties.includes(azp)) {
      throw new TokenVerificationError(
        'token-invalid-authorized-party',
        `Session token authorized party (azp) ${JSON.stringify(azp)} is not in authorizedParties ` +
          `${JSON.stringify(checks.authorizedParties)}. Add the app's origin to authorizedParties.`,
      )
    }
  }

  if (payload.sts !== 'active') {
    throw new TokenVerificationError(
      'token-invalid-session-status',
      `Session token status (sts) is ${JSON.stringify(payload.sts)}, expected "active".`,
    )
  }

  for (const claim of ['sub', 'sid'] as const) {
    const value = payload[claim]
    if (typeof value !== 'string' || value === '') {
      throw new TokenVerificationError('token-missing-claim', `Session token has no "${claim}" claim.`)
    }
  }

  return payload as SessionClaims
}
