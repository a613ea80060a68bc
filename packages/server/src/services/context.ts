import type { Kysely, Transaction } from 'kysely'
import type { Logger } from 'pino'

import type { ServerConfig } from '../config.js'
import type { Engine } from '../db/database.js'
import type { Database } from '../db/schema.js'
import type { SigningKeys } from '../keys/signing-keys.js'

/** Dependencies of every service function; one per server process. */
export interface ServiceContext {
  db: Kysely<Database>
  engine: Engine
  config: ServerConfig
  logger: Logger
  signingKeys: SigningKeys
}

export type Executor = Kysely<Database> | Transaction<Database>

/** Origin of a request for audit events: the network address and user agent as the server received them. */
export interface RequestMeta {
  ip: string | null
  userAgent: string | null
  traceId: string
}

/** True when `error` is a unique-constraint violation on either engine. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505'
}
