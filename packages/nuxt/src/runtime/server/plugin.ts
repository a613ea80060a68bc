import { createClient } from '@behalf/backend'
import type { H3Event } from 'h3'
import { defineNitroPlugin } from '#imports'

import { resolveBehalfOptions } from './options.js'

/** The part of Nitro's `NitroApp` that this plugin uses. */
interface NitroAppHooks {
  hooks: {
    hook(name: 'request', handler: (event: H3Event) => void): () => void
  }
}

/**
 * Nitro plugin that checks the configuration when the server starts, so that a missing or
 * malformed secret key stops the server instead of failing the first request.
 */
export default defineNitroPlugin((nitroApp: NitroAppHooks) => {
  const { secretKey, apiUrl } = resolveBehalfOptions()
  try {
    createClient({ secretKey, apiUrl })
  } catch (error) {
    throw new Error(
      `@behalf/nuxt: ${(error as Error).message} ` +
        'In Nuxt, BEHALF_SECRET_KEY and BEHALF_API_URL can also be given as NUXT_BEHALF_SECRET_KEY and NUXT_BEHALF_API_URL.',
      { cause: error },
    )
  }

  // Nitro runs the app's server/middleware files before the middleware of modules, so auth()
  // is called there before it is set. This replaces the TypeError "auth is not a function"
  // with an error that explains the order.
  nitroApp.hooks.hook('request', (event) => {
    event.context.auth = authBeforeMiddleware
  })
})

function authBeforeMiddleware(): never {
  throw new Error(
    'event.context.auth() was called before the @behalf/nuxt server middleware ran. Nitro runs the files in ' +
      'server/middleware/ before the middleware of modules, so read auth in server routes (server/api/, server/routes/) ' +
      'or in the Vue app through a server route.',
  )
}
