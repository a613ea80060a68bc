import { generateKeyPairSync, createPrivateKey, type KeyObject } from 'node:crypto'

import { exportJWK, SignJWT, type JWK, type JWTPayload } from 'jose'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'

import { newId } from '../crypto/random.js'
import type { Database, SigningKeysTable } from '../db/schema.js'
import { recordAudit } from '../services/audit.js'
import { decrypt, encrypt } from './encryption.js'

/** Default for how long a process trusts its copy of the key table before reading it again. */
export const DEFAULT_KEY_CACHE_TTL_MS = 30_000

interface LoadedKey {
  kid: string
  publicJwk: JWK
  privateKey: KeyObject
  activatesAt: number
  status: SigningKeysTable['status']
}

/**
 * The instance's RS256 signing keys. The table is shared by every process; each process keeps
 * a copy for `cacheTtlMs` (30 s by default). A new key is inserted with `activates_at` in the future, so it
 * appears in the JWKS of every process before any process signs with it.
 */
export class SigningKeys {
  private cache: { keys: LoadedKey[]; loadedAt: number } | null = null
  private loading: Promise<LoadedKey[]> | null = null

  constructor(
    private readonly db: Kysely<Database>,
    private readonly encryptionKey: Buffer,
    private readonly logger: Logger,
    private readonly cacheTtlMs: number = DEFAULT_KEY_CACHE_TTL_MS,
  ) {}

  /** Creates the first key when the instance has none; safe when several processes start at once. */
  async ensureKey(): Promise<void> {
    const existing = await this.db.selectFrom('signing_keys').select('kid').where('status', '=', 'active').executeTakeFirst()
    if (existing) return
    await this.createKey(Date.now())
  }

  /** Inserts a new 2048-bit RSA key that starts signing at `activatesAt` (Unix ms). */
  async createKey(activatesAt: number): Promise<string> {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const kid = newId('ins')
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }
    const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()

    await this.db
      .insertInto('signing_keys')
      .values({
        kid,
        public_jwk: JSON.stringify(publicJwk),
        private_key_encrypted: encrypt(this.encryptionKey, privatePem),
        status: 'active',
        activates_at: activatesAt,
        created_at: Date.now(),
        retired_at: null,
      })
      .execute()
    await recordAudit(this.db, { kind: 'signing_key.created', actorType: 'system', details: { kid, activatesAt } }, null)
    this.cache = null
    this.logger.info({ kid, activatesAt }, 'signing key created')
    return kid
  }

  /** Stops signing with a key; its public key stays in the JWKS for a day, so tokens it signed still verify. */
  async retireKey(kid: string): Promise<boolean> {
    const result = await this.db
      .updateTable('signing_keys')
      .set({ status: 'retired', retired_at: Date.now() })
      .where('kid', '=', kid)
      .where('status', '=', 'active')
      .executeTakeFirst()
    this.cache = null
    const retired = Number(result.numUpdatedRows) > 0
    if (retired) await recordAudit(this.db, { kind: 'signing_key.retired', actorType: 'system', details: { kid } }, null)
    return retired
  }

  async listKeys(): Promise<Array<Pick<SigningKeysTable, 'kid' | 'status' | 'activates_at' | 'created_at' | 'retired_at'>>> {
    return this.db
      .selectFrom('signing_keys')
      .select(['kid', 'status', 'activates_at', 'created_at', 'retired_at'])
      .orderBy('created_at', 'asc')
      .execute()
  }

  private async loadKeys(): Promise<LoadedKey[]> {
    const now = Date.now()
    if (this.cache && now - this.cache.loadedAt < this.cacheTtlMs) return this.cache.keys

    this.loading ??= (async () => {
      // A retired key stays listed for a day, far longer than any session token lives.
      const rows = await this.db
        .selectFrom('signing_keys')
        .selectAll()
        .where((eb) => eb.or([eb('status', '=', 'active'), eb('retired_at', '>', Date.now() - 86_400_000)]))
        .orderBy('activates_at', 'asc')
        .execute()

      const keys = rows.map((row) => ({
        kid: row.kid,
        publicJwk: JSON.parse(row.public_jwk) as JWK,
        privateKey: createPrivateKey(decrypt(this.encryptionKey, row.private_key_encrypted)),
        activatesAt: row.activates_at,
        status: row.status,
      }))
      this.cache = { keys, loadedAt: Date.now() }
      return keys
    })().finally(() => {
      this.loading = null
    })
    return this.loading
  }

  /** Returns the public keys to publish: every active key (including ones not yet signing) and recently retired ones. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const keys = await this.loadKeys()
    return { keys: keys.map((key) => key.publicJwk) }
  }

  /** Signs a session token with the newest active key whose activation time has passed. */
  async sign(payload: JWTPayload, expiresAt: number): Promise<string> {
    const now = Date.now()
    const keys = await this.loadKeys()
    const signing = keys.filter((key) => key.status === 'active' && key.activatesAt <= now).at(-1)
    if (!signing) throw new Error('No active signing key: run "behalf keys rotate-signing" or restart the server to create one')

    const issuedAt = Math.floor(now / 1000)
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', kid: signing.kid, typ: 'JWT' })
      .setIssuedAt(issuedAt)
      .setNotBefore(issuedAt)
      .setExpirationTime(Math.floor(expiresAt / 1000))
      .sign(signing.privateKey)
  }
}
