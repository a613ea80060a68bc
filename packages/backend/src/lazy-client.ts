import { createClient, type BehalfClient } from './client.js'

/**
 * Returns a Backend API client configured from `BEHALF_SECRET_KEY` and `BEHALF_API_URL` that is
 * created on first use, so that importing a module which exports one never throws. When the
 * variable is not set, the first property access throws an error that names `BEHALF_SECRET_KEY`.
 * Adapters export it as `behalfClient`.
 */
export function createLazyClient(): BehalfClient {
  let client: BehalfClient | undefined

  function resolve(): BehalfClient {
    if (client === undefined) {
      try {
        client = createClient()
      } catch (error) {
        throw new Error(
          `behalfClient could not be created from the environment: ${(error as Error).message} ` +
            'behalfClient reads BEHALF_SECRET_KEY and BEHALF_API_URL; for other settings use createClient({ secretKey, apiUrl }).',
          { cause: error },
        )
      }
    }
    return client
  }

  return new Proxy({} as BehalfClient, {
    get(_target, property) {
      return Reflect.get(resolve(), property)
    },
    has(_target, property) {
      return Reflect.has(resolve(), property)
    },
    ownKeys() {
      return Reflect.ownKeys(resolve())
    },
    getOwnPropertyDescriptor(_target, property) {
      const descriptor = Reflect.getOwnPropertyDescriptor(resolve(), property)
      // A proxy may only report a property as non-configurable if the target has it, and the target is empty.
      return descriptor === undefined ? undefined : { ...descriptor, configurable: true }
    },
  })
}
