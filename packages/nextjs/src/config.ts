import { createClient } from '@behalf/backend'

/**
 * Returns the secret key from the option or `BEHALF_SECRET_KEY`. `createClient` validates it,
 * so a missing or malformed key throws the SDK's error, which names `BEHALF_SECRET_KEY`.
 */
export function resolveSecretKey(secretKey: string | undefined, apiUrl?: string): string {
  createClient({ secretKey, apiUrl })
  return (secretKey === undefined || secretKey === '' ? process.env.BEHALF_SECRET_KEY : secretKey) as string
}
