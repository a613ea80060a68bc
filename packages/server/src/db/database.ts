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
export function openDatabase(config: Pick<ServerConfig, 'databaseUrl' | 'databasePoolSize' | 'dataDir'>): DatabaseHandle {
  if (config.databaseUrl) {
    const pool = new pg.Pool({ connectionString: config.databaseUrl, max: config.databasePoolSize })
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
  sqlite.pragma('busy_timeout = 5000')
  sqlite.pragma('foreign_keys = ON')

  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) })
  return { db, engine: 'sqlite', close: () => db.destroy() }
}
