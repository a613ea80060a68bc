import { hash, verify } from '@node-rs/argon2'

/** OWASP's argon2id parameters: 19 MiB of memory, 2 iterations, 1 lane. */
const ARGON2ID_OPTIONS = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const

export const PASSWORD_MIN_LENGTH = 8
/** Long enough for any passphrase; bounded so that one request cannot make argon2 hash megabytes. */
export const PASSWORD_MAX_LENGTH = 256

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2ID_OPTIONS)
}

let dummyHash: Promise<string> | null = null

/**
 * Checks a password against a stored hash. With no stored hash (unknown user, or a user
 * without a password) it still runs one argon2 verification, so the response time does not
 * tell an attacker which email addresses have accounts.
 */
export async function verifyPassword(storedHash: string | null, password: string): Promise<boolean> {
  if (storedHash === null) {
    dummyHash ??= hashPassword('behalf-dummy-password')
    await verify(await dummyHash, password).catch(() => false)
    return false
  }
  try {
    return await verify(storedHash, password)
  } catch {
    return false
  }
}
