import type { Kysely } from 'kysely'

import type { InstanceMode } from '../config.js'
import { newId, randomBase62, sha256Hex } from '../crypto/random.js'
import type { Database } from '../db/schema.js'
import { recordAudit } from '../services/audit.js'

export interface SecretKeySummary {
  id: string
  hint: string
  createdAt: number
  revokedAt: number | null
}

/** `sk_test_…` for a development instance, `sk_live_…` for production; 43 base62 characters (about 256 bits). */
function newSecretKeyValue(mode: InstanceMode): string {
  return `${mode === 'production' ? 'sk_live' : 'sk_test'}_${randomBase62(43)}`
}

/** Creates a secret key, stores only its SHA-256 hash and returns the key itself, which is never retrievable again. */
export async function createSecretKey(db: Kysely<Database>, mode: InstanceMode): Promise<{ id: string; secretKey: string }> {
  const secretKey = newSecretKeyValue(mode)
  const id = newId('key')
  await db
    .insertInto('secret_keys')
    .values({ id, key_hash: sha256Hex(secretKey), hint: `${secretKey.slice(0, 12)}…`, created_at: Date.now(), revoked_at: null })
    .execute()
  await recordAudit(db, { kind: 'secret_key.created', actorType: 'system', actorId: id }, null)
  return { id, secretKey }
}

export async function listSecretKeys(db: Kysely<Database>): Promise<SecretKeySummary[]> {
  const rows = await db.selectFrom('secret_keys').selectAll().orderBy('created_at', 'asc').execute()
  return rows.map((row) => ({ id: row.id, hint: row.hint, createdAt: row.created_at, revokedAt: row.revoked_at }))
}

export async function revokeSecretKey(db: Kysely<Database>, id: string): Promise<boolean> {
  const result = await db
    .updateTable('secret_keys')
    .set({ revoked_at: Date.now() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  const revoked = Number(result.numUpdatedRows) > 0
  if (revoked) await recordAudit(db, { kind: 'secret_key.revoked', actorType: 'system', actorId: id }, null)
  return revoked
}

export async function countActiveSecretKeys(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('secret_keys')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('revoked_at', 'is', null)
    .executeTakeFirstOrThrow()
  return Number(row.count)
}

const SECRET_KEY_PATTERN = /^sk_(test|live)_[0-9A-Za-z]{20,100}$/

/**
 * Looks a presented key up by its SHA-256 hash. The database compares hashes, never the key, so
 * the comparison's timing reveals nothing about the key itself.
 */
export async function findSecretKeyId(db: Kysely<Database>, presented: string): Promise<string | null> {
  if (!SECRET_KEY_PATTERN.test(presented)) return null
  return findSecretKeyIdByHash(db, sha256Hex(presented))
}

async function findSecretKeyIdByHash(db: Kysely<Database>, keyHash: string): Promise<string | null> {
  const row = await db.selectFrom('secret_keys').select('id').where('key_hash', '=', keyHash).where('revoked_at', 'is', null).executeTakeFirst()
  return row?.id ?? null
}

/** Upper bound on the valid keys one {@link SecretKeyCache} keeps; the oldest entry is dropped first. */
const MAX_CACHED_SECRET_KEYS = 1000

/**
 * Secret-key lookups with the valid results kept in this process for `lifetimeMs`. A key
 * revoked in the database therefore keeps working in a process that found it valid for at
 * most `lifetimeMs` more. Unknown and revoked keys are never cached, so a new key works at
 * once and guessed keys cannot fill the cache. Entries are keyed by the key's SHA-256 hash.
 */
export class SecretKeyCache {
  private readonly entries = new Map<string, { id: string; expiresAt: number }>()

  constructor(
    private readonly db: Kysely<Database>,
    private readonly lifetimeMs: number,
  ) {}

  /** Returns the id of the active key `presented`, or null for a malformed, unknown or revoked key. */
  async findId(presented: string): Promise<string | null> {
    if (!SECRET_KEY_PATTERN.test(presented)) return null
    const keyHash = sha256Hex(presented)
    if (this.lifetimeMs <= 0) return findSecretKeyIdByHash(this.db, keyHash)

    const cached = this.entries.get(keyHash)
    const now = Date.now()
    if (cached !== undefined && cached.expiresAt > now) return cached.id
    this.entries.delete(keyHash)

    const id = await findSecretKeyIdByHash(this.db, keyHash)
    if (id === null) return null
    if (this.entries.size >= MAX_CACHED_SECRET_KEYS) {
      const oldest = this.entries.keys().next().value
      if (oldest !== undefined) this.entries.delete(oldest)
    }
    // The lifetime counts from before the lookup, so a revocation that the lookup missed is covered by the bound too.
    this.entries.set(keyHash, { id, expiresAt: now + this.lifetimeMs })
    return id
  }
}
