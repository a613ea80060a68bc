import { createClient, type BehalfClient } from '@behalf/backend'

import { readEntry, type BehalfOptions, type BehalfRouteArgs } from './state.js'

const clientsByOptions = new WeakMap<BehalfOptions, BehalfClient>()
let environmentClient: BehalfClient | undefined

/**
 * Returns a Backend API client with the `secretKey` and `apiUrl` given to behalfMiddleware, or
 * from `BEHALF_SECRET_KEY` and `BEHALF_API_URL` without the middleware. Clients are created on
 * first use and reused. Throws a `BehalfConfigurationError` naming `BEHALF_SECRET_KEY` when no
 * secret key is configured.
 */
export function behalfClient(args: BehalfRouteArgs): BehalfClient {
  const options = readEntry(args.context)?.options
  if (options === undefined) {
    environmentClient ??= createClient()
    return environmentClient
  }

  let client = clientsByOptions.get(options)
  if (client === undefined) {
    client = createClient({ secretKey: options.secretKey, apiUrl: options.apiUrl })
    clientsByOptions.set(options, client)
  }
  return client
}
