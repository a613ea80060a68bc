import type { RequestStateReason } from '@behalf/backend'

/**
 * Request headers that carry the auth state from proxy.ts to `auth()`. The proxy deletes any
 * incoming header with this prefix before it sets its own, so a client cannot supply them on a
 * route the proxy covers, and the signature makes them useless on a route it does not.
 */
export const FORWARDED_HEADER_PREFIX = 'x-behalf-'
export const FORWARDED_STATE_HEADER = 'x-behalf-auth-state'
export const FORWARDED_SIGNATURE_HEADER = 'x-behalf-auth-signature'

/** Options of `authenticateRequest` that `auth()` needs again. None of them is secret. */
export interface ForwardedOptions {
  apiUrl?: string
  issuer?: string
  authorizedParties: string[]
  jwtKey?: string
  signInUrl?: string
}

/** Auth state that proxy.ts hands to the rendering of one request. */
export interface ForwardedState {
  /** Format version, so that a proxy and a rendering built from different releases fail loudly. */
  version: 1
  status: 'signed-in' | 'signed-out'
  reason: RequestStateReason
  /** Session token verified by the proxy (after a refresh, the new one), or null when signed out. */
  sessionToken: string | null
  /** Request URL as the proxy saw it, which decides the `Secure` attribute of cookies. */
  url: string
  options: ForwardedOptions
}

// Domain separation, so that this signature is never valid for another use of the secret key.
const SIGNATURE_CONTEXT = 'behalf-nextjs-forwarded-state-v1.'

const encoder = new TextEncoder()
const hmacKeys = new Map<string, Promise<CryptoKey>>()

function importHmacKey(secretKey: string): Promise<CryptoKey> {
  let key = hmacKeys.get(secretKey)
  if (key === undefined) {
    key = crypto.subtle.importKey('raw', encoder.encode(secretKey), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])
    hmacKeys.set(secretKey, key)
  }
  return key
}

/**
 * Serializes the state for the request headers and signs it with an HMAC-SHA256 keyed with the
 * secret key. Returns the values of {@link FORWARDED_STATE_HEADER} and {@link FORWARDED_SIGNATURE_HEADER}.
 */
export async function signForwardedState(state: ForwardedState, secretKey: string): Promise<{ value: string; signature: string }> {
  const value = Buffer.from(JSON.stringify(state), 'utf8').toString('base64url')
  const key = await importHmacKey(secretKey)
  const signature = await crypto.subtle.sign('HMAC', key, encoder.encode(SIGNATURE_CONTEXT + value))
  return { value, signature: Buffer.from(signature).toString('base64url') }
}

/**
 * Returns the forwarded state when its signature matches this secret key, or null when it does
 * not. `crypto.subtle.verify` compares in constant time.
 */
export async function verifyForwardedState(value: string, signature: string, secretKey: string): Promise<ForwardedState | null> {
  const key = await importHmacKey(secretKey)
  const valid = await crypto.subtle.verify(
    'HMAC',
    key,
    Buffer.from(signature, 'base64url'),
    encoder.encode(SIGNATURE_CONTEXT + value),
  )
  if (!valid) return null

  const state = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as ForwardedState
  return state.version === 1 ? state : null
}
