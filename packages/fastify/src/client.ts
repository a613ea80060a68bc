import { createClient, type BehalfClient } from '@behalf/backend'

let defaultClient: BehalfClient | undefined

function getDefaultClient(): BehalfClient {
  if (defaultClient === undefined) {
    try {
      defaultClient = createClient()
    } catch (error) {
      throw new Error(
        `behalfClient could not be created from the environment: ${(error as Error).message} ` +
          'behalfClient reads BEHALF_SECRET_KEY and BEHALF_API_URL; for other settings use createClient({ secretKey, apiUrl }).',
        { cause: error },
      )
    }
  }
  return defaultClient
}

/**
 * Backend API client configured from `BEHALF_SECRET_KEY` and `BEHALF_API_URL`. It is created
 * on first use, so importing this module never throws. When the variable is not set, the first
 * property access throws an error that names `BEHALF_SECRET_KEY`.
 */
export const behalfClient: BehalfClient = new Proxy({} as BehalfClient, {
  get(_target, property) {
    return Reflect.get(getDefaultClient(), property)
  },
  has(_target, property) {
    return Reflect.has(getDefaultClient(), property)
  },
  ownKeys() {
    return Reflect.ownKeys(getDefaultClient())
  },
  getOwnPropertyDescriptor(_target, property) {
    const descriptor = Reflect.getOwnPropertyDescriptor(getDefaultClient(), property)
    // A proxy may only report a property as non-configurable if the target has it, and the target is empty.
    return descriptor === undefined ? undefined : { ...descriptor, configurable: true }
  },
})
