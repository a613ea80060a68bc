import { createClient, type BehalfClient } from '@behalf/backend'
import type { H3Event } from 'h3'

import { resolveBehalfOptions } from './options.js'

const clients = new Map<string, BehalfClient>()

/**
 * Returns a Backend API client configured from `runtimeConfig.behalf`, falling back to
 * `BEHALF_SECRET_KEY` and `BEHALF_API_URL`. Pass the event in request handlers, so that
 * runtime config overrides that apply per request are honoured.
 *
 * Throws an error that names `BEHALF_SECRET_KEY` when no secret key is configured.
 */
export function behalfClient(event?: H3Event): BehalfClient {
  const { secretKey, apiUrl } = resolveBehalfOptions(event)
  const cacheKey = `${apiUrl ?? ''}\n${secretKey ?? ''}`

  let client = clients.get(cacheKey)
  if (client === undefined) {
    client = createClient({ secretKey, apiUrl })
    clients.set(cacheKey, client)
  }
  return client
}
