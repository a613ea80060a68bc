import { createHash, randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto'

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/** Bytes from the CSPRNG, filled 4 KiB at a time and each used once. A `randomBytes` call per id took about 4 % of an agent-task create. */
const randomPool = Buffer.alloc(4096)
let randomPoolOffset = randomPool.length

function nextRandomByte(): number {
  if (randomPoolOffset === randomPool.length) {
    randomFillSync(randomPool)
    randomPoolOffset = 0
  }
  return randomPool[randomPoolOffset++] as number
}

/**
 * Returns `length` base62 characters from the CSPRNG. Rejection sampling keeps every
 * character equally likely (a plain modulo would favour the first 8 characters).
 */
export function randomBase62(length: number): string {
  let output = ''
  while (output.length < length) {
    const byte = nextRandomByte()
    if (byte < 248) output += BASE62[byte % 62]
  }
  return output
}

/** Resource ids such as `user_…`: 22 base62 characters, about 131 bits, so they cannot be guessed either. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBase62(22)}`
}

/** Returns a bearer secret (ticket, handoff code, refresh token) with 256 bits of entropy. */
export function newSecretToken(): string {
  return randomBytes(32).toString('base64url')
}

/** SHA-256 as lowercase hex: the only form in which tickets, codes, refresh tokens and secret keys are stored. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex')
}

/** Compares two strings in time that depends on their length only, never on where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a, 'utf8').digest()
  const right = createHash('sha256').update(b, 'utf8').digest()
  return timingSafeEqual(left, right)
}
