import fs from 'node:fs'
import path from 'node:path'

import SQLite from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect, type SqliteDatabase } from 'kysely'
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
  // A checkpoint copies the WAL into the database file and syncs it, inside the commit that
  // crosses the threshold, so it blocks the event loop. A threshold of 10,000 pages instead of
  // SQLite's default 1,000 means a tenth as many syncs. The WAL file then grows to about 40 MB
  // (at 4 KiB pages) and keeps that size on disk.
  sqlite.pragma('wal_autocheckpoint = 10000')
  sqlite.pragma(`busy_timeout = ${config.sqliteBusyTimeoutMs}`)
  sqlite.pragma('foreign_keys = ON')

  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) })
  return { db, engine: 'sqlite', close: () => db.destroy() }
}

/** Upper bound on the prepared statements kept per SQLite connection; each is a few kilobytes. */
const MAX_CACHED_STATEMENTS = 500

/**
 * Wraps a better-sqlite3 connection so that each SQL text is prepared once. Kysely's SQLite
 * driver calls `prepare` for every query, and preparing cost about 10 % of the server's CPU
 * under load. Reuse is safe because better-sqlite3 runs each statement to completion
 * synchronously, and SQLite re-prepares a statement itself after a schema change. When the
 * cache is full the statement used least recently is dropped.
 * NOTE: Kysely's `stream()` iterates a statement across awaits, so a cached statement must
 * not be streamed while another query runs the same SQL. The server does not stream.
 */
function withStatementCache(sqlite: SQLite.Database): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>()
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let statement = statements.get(sql)
      if (statement !== undefined) {
        statements.delete(sql)
      } else {
        statement = sqlite.prepare(sql)
        if (statements.size >= MAX_CACHED_STATEMENTS) {
          const leastRecentlyUsed = statements.keys().next().value
          if (leastRecentlyUsed !== undefined) statements.delete(leastRecentlyUsed)
        }
      }
      statements.set(sql, statement)
      return statement
    },
  }
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
