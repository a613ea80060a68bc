import fs from 'node:fs'
import path from 'node:path'

import SQLite from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely'
import pg from 'pg'

import type { ServerConfig } from '../config.js'
import type { Database } from './schema.js'

export type Engine = 'sqlite' | 'postgres'

export interface DatabaseHandle {
  db: Kysely<Database>
  engine: Engine
  close(): Promise<void>
}

// BIGINT columns hold Unix milliseconds, which fit a double exactly until the year 287396.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value))

/** Opens the configured database: PostgreSQL for `DATABASE_URL=postgres://…`, else SQLite in the data directory. */
export function openDatabase(config: Pick<ServerConfig, 'databaseUrl' | 'databasePoolSize' | 'dataDir' | 'sqliteBusyTimeoutMs'>): DatabaseHandle {
  if (config.databaseUrl) {
    // A bounded connect timeout turns an unreachable database into a prompt 503 instead of a hung request.
    const pool = new pg.Pool({ connectionString: config.databaseUrl, max: config.databasePoolSize, connectionTimeoutMillis: 5_000 })
    // An idle client that loses its connection emits 'error' on the pool; without a listener Node would crash.
    pool.on('error', () => {})
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
    return { db, engine: 'postgres', close: () => db.destroy() }
  }

  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 })
  const sqlite = new SQLite(path.join(config.dataDir, 'behalf.db'))
  // WAL lets readers run beside the single writer; busy_timeout makes a second process wait for the write lock instead of failing.
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = NORMAL')
  sqlite.pragma(`busy_timeout = ${config.sqliteBusyTimeoutMs}`)
  sqlite.pragma('foreign_keys = ON')

  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) })
  return { db, engine: 'sqlite', close: () => db.destroy() }
}

// Connection-level failures: the network, the server shutting down or refusing connections,
// and (SQLite) a write lock held past busy_timeout. A query error such as a constraint
// violation is not among them.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000', // connection_exception
  '08001', // sqlclient_unable_to_establish_sqlconnection
  '08003', // connection_does_not_exist
  '08006', // connection_failure
  '53300', // too_many_connections
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
])

const UNAVAILABLE_MESSAGES = [/Connection terminated/i, /timeout exceeded when trying to connect/i, /Client has encountered a connection error/i]

/** True when `error` means the database cannot be reached right now, as opposed to a failed query. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown }
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message))) return true
    if (current instanceof AggregateError && current.errors.some((inner) => isDatabaseUnavailable(inner))) return true
  }
  return false
}
