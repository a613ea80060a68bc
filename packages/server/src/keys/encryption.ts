import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

import { ConfigError } from '../config.js'

const ENCRYPTION_KEY_FILE = 'encryption-key'

/**
 * Loads the 32-byte key that encrypts signing keys at rest. It is `BEHALF_ENCRYPTION_KEY`
 * (base64) when set, which every process of a PostgreSQL deployment must share. Otherwise it
 * is a file in the data directory, created with mode 0600 on first start.
 */
export function loadEncryptionKey(dataDir: string, env: Record<string, string | undefined>, required: boolean): Buffer {
  const fromEnv = env.BEHALF_ENCRYPTION_KEY
  if (fromEnv) {
    const key = Buffer.from(fromEnv, 'base64')
    if (key.length !== 32) {
      throw new ConfigError('BEHALF_ENCRYPTION_KEY must be 32 bytes in base64. Generate one with: openssl rand -base64 32')
    }
    return key
  }
  if (required) {
    throw new ConfigError(
      'BEHALF_ENCRYPTION_KEY is missing: with DATABASE_URL every server process must share one. Generate it with: openssl rand -base64 32',
    )
  }

  const file = path.join(dataDir, ENCRYPTION_KEY_FILE)
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  try {
    // 'wx' fails when the file exists, so two processes starting together keep one key.
    fs.writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64')
  if (key.length !== 32) throw new ConfigError(`${file} does not contain a 32-byte base64 key. Restore it from a backup.`)
  return key
}

/** AES-256-GCM; output is `iv.tag.ciphertext`, each base64url. */
export function encrypt(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return [iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64url')).join('.')
}

export function decrypt(key: Buffer, sealed: string): string {
  const [iv, tag, ciphertext] = sealed.split('.').map((part) => Buffer.from(part, 'base64url'))
  if (!iv || !tag || !ciphertext) throw new Error('Encrypted value is malformed')
  const decipher = createDecipheriv('aes-256-gcm', key, iv)
  decipher.setAuthTag(tag)
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8')
}
