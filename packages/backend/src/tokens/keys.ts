import {
  createRemoteJWKSet,
  importSPKI,
  type CryptoKey,
  type FlattenedJWSInput,
  type JWSHeaderParameters,
  type RemoteJWKSet,
} from 'jose'

import { describeCause, TokenVerificationError } from '../errors.js'

/** Resolves the public key for a token header, with an id that names where the keys come from. */
export interface KeySource {
  /** Stable id of the key source, so that cached verifications never cross key sources. */
  id: string
  getKey(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey>
  /**
   * The key for every header, once it is imported, so that callers can skip the await. Only a
   * PEM key source has one, since a JWKS key depends on the header's `kid`.
   */
  readonly importedKey?: CryptoKey
}

/** URL of the public JWKS of a Behalf server. */
export function jwksUrl(apiUrl: string): string {
  return `${apiUrl}/.well-known/jwks.json`
}

// One key source per JWKS URL, shared by every caller in this process, so the JWKS is fetched
// once and verifyToken builds no object per call. createRemoteJWKSet refetches when a token
// names an unknown `kid` (at most once per 30 s cooldown) and when the cached set is older
// than 10 minutes (defaults of jose 6.2's createRemoteJWKSet).
const remoteKeySources = new Map<string, KeySource>()

// Key sources of imported PEM keys, by PEM text.
const pemKeySources = new Map<string, KeySource & { key: Promise<CryptoKey> }>()
let pemKeyCount = 0

export function remoteJwksKeySource(apiUrl: string): KeySource {
  let source = remoteKeySources.get(apiUrl)
  if (source === undefined) {
    source = createRemoteJwksKeySource(apiUrl)
    remoteKeySources.set(apiUrl, source)
  }
  return source
}

function createRemoteJwksKeySource(apiUrl: string): KeySource {
  const url = jwksUrl(apiUrl)
  const resolver: RemoteJWKSet = createRemoteJWKSet(new URL(url))

  return {
    id: `jwks:${url}`,
    async getKey(header, token) {
      try {
        return await resolver(header, token)
      } catch (error) {
        if ((error as { code?: unknown }).code === 'ERR_JWKS_NO_MATCHING_KEY') {
          throw new TokenVerificationError(
            'jwk-not-found',
            `No key with kid ${JSON.stringify(header.kid)} in the JWKS at ${url}, even after refetching it. ` +
              'The token was signed by another server or with a key that is no longer published.',
            { cause: error },
          )
        }
        throw new TokenVerificationError(
          'jwks-fetch-failed',
          `Fetching the JWKS from ${url} failed (${describeCause(error)}). Check that the Behalf server is reachable at apiUrl, ` +
            'or pass jwtKey to verify without a network call.',
          { cause: error },
        )
      }
    },
  }
}

export function pemKeySource(jwtKey: string): KeySource {
  // Environment variables often carry a PEM on one line with literal "\n" sequences.
  const pem = jwtKey.includes('\\n') ? jwtKey.replace(/\\n/g, '\n') : jwtKey
  let source = pemKeySources.get(pem)
  if (source === undefined) {
    const key = importSPKI(pem.trim(), 'RS256')
    pemKeyCount += 1
    source = createPemKeySource(`pem:${pemKeyCount}`, key)
    pemKeySources.set(pem, source)
    // A rejected import is not kept, so a corrected key in the same process is imported again.
    key.catch(() => {
      if (pemKeySources.get(pem)?.key === key) pemKeySources.delete(pem)
    })
  }
  return source
}

function createPemKeySource(id: string, key: Promise<CryptoKey>): KeySource & { key: Promise<CryptoKey> } {
  let importedKey: CryptoKey | undefined
  key.then(
    (imported) => {
      importedKey = imported
    },
    () => {},
  )

  return {
    id,
    key,
    get importedKey() {
      return importedKey
    },
    async getKey() {
      try {
        return await key
      } catch (error) {
        throw new TokenVerificationError(
          'jwk-invalid',
          'jwtKey is not a valid PEM-encoded RSA public key. Pass the SPKI PEM that starts with ' +
            '"-----BEGIN PUBLIC KEY-----", as published by the Behalf server.',
          { cause: error },
        )
      }
    },
  }
}
