import { createClient, type BehalfClient } from '@behalf/backend'

import { findBehalfContext, type BehalfMiddlewareOptions } from './context.js'

let environmentClient: BehalfClient | undefined
const clientsByOptions = new WeakMap<BehalfMiddlewareOptions, BehalfClient>()

/**
 * Returns a Backend API client. During a request that `behalfMiddleware(options)` handled, it
 * uses that middleware's `secretKey` and `apiUrl`. Elsewhere it reads `BEHALF_SECRET_KEY` and
 * `BEHALF_API_URL`. Clients are created on first use and reused. A missing secret key throws
 * an error that names `BEHALF_SECRET_KEY`.
 */
export function behalfClient(): BehalfClient {
  const options = findBehalfContext()?.options
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
