import { createClient, type AuthenticateRequestOptions, type BehalfClient } from '@behalf/backend'

import { findRequestEntry } from './state.js'

const clientsByOptions = new WeakMap<AuthenticateRequestOptions, BehalfClient>()
let environmentClient: BehalfClient | undefined

/**
 * Returns a Backend API client with the secret key and API URL of the middleware that handled
 * this request, or from `BEHALF_SECRET_KEY` and `BEHALF_API_URL` when no Behalf middleware ran.
 * Throws a `BehalfConfigurationError` naming `BEHALF_SECRET_KEY` when no secret key is set.
 */
export function behalfClient(context: { locals: object }): BehalfClient {
  const entry = findRequestEntry(context.locals)
  if (entry === undefined) {
    environmentClient ??= createClient()
    return environmentClient
  }

  let client = clientsByOptions.get(entry.options)
  if (client === undefined) {
    client = createClient({ secretKey: entry.options.secretKey, apiUrl: entry.options.apiUrl })
    clientsByOptions.set(entry.options, client)
  }
  return client
}
