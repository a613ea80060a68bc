import type { AuthenticateRequestOptions } from '@behalf/backend'
import type { H3Event } from 'h3'
import { useRuntimeConfig } from '#imports'

/** Shape of `runtimeConfig.behalf`. Empty strings and null mean "not set". */
export interface BehalfRuntimeConfig {
  secretKey: string
  apiUrl: string
  issuer: string
  /** An array, a JSON array or a comma-separated list, as a NUXT_BEHALF_AUTHORIZED_PARTIES value may be. */
  authorizedParties: string[] | string | null
  jwtKey: string
  signInUrl: string
}

/**
 * Returns the options for `authenticateRequest` from `runtimeConfig.behalf`. Unset values are
 * left undefined, so that @behalf/backend falls back to BEHALF_SECRET_KEY and BEHALF_API_URL.
 */
export function resolveBehalfOptions(event?: H3Event): AuthenticateRequestOptions {
  const config = (useRuntimeConfig(event).behalf ?? {}) as Partial<BehalfRuntimeConfig>

  return {
    secretKey: nonEmpty(config.secretKey),
    apiUrl: nonEmpty(config.apiUrl),
    issuer: nonEmpty(config.issuer),
    authorizedParties: parseAuthorizedParties(config.authorizedParties),
    jwtKey: nonEmpty(config.jwtKey),
    signInUrl: nonEmpty(config.signInUrl),
  }
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined
}

function parseAuthorizedParties(value: unknown): string[] | undefined {
  if (Array.isArray(value)) return value.map(String)
  if (typeof value !== 'string' || value.trim() === '') return undefined
  return value
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '')
}
