/**
 * The database engine a test run uses. Vitest's `postgres` project sets
 * BEHALF_TEST_ENGINE=postgres; every test file then gets a database of its own on the server
 * that BEHALF_TEST_DATABASE_URL points at, dropped when the file's tests end.
 */
import { randomBytes } from 'node:crypto'

import pg from 'pg'

export const TEST_ENGINE: 'sqlite' | 'postgres' = process.env.BEHALF_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite'

export interface TestDatabase {
  /** Variables that point a server at this database (empty for SQLite, which lives in the data directory). */
  env: Record<string, string>
  drop(): Promise<void>
}

function adminUrl(): URL {
  const raw = process.env.BEHALF_TEST_DATABASE_URL
  if (!raw) throw new Error('BEHALF_TEST_ENGINE=postgres needs BEHALF_TEST_DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/postgres')
  return new URL(raw)
}

async function withAdminClient<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const url = adminUrl()
  const client = new pg.Client({ connectionString: url.href, connectionTimeoutMillis: 5_000 })
  try {
    await client.connect()
  } catch (error) {
    throw new Error(`Cannot reach the test PostgreSQL at ${url.host} (BEHALF_TEST_DATABASE_URL): ${(error as Error).message}`)
  }
  try {
    return await run(client)
  } finally {
    await client.end()
  }
}

/** Creates an empty database for one test file, named after the run's database so leftovers are easy to find. */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (TEST_ENGINE === 'sqlite') return { env: {}, drop: async () => {} }

  const url = adminUrl()
  const runDatabase = url.pathname.slice(1) || 'postgres'
  const name = `${runDatabase}_t_${randomBytes(6).toString('hex')}`.toLowerCase().slice(0, 63)
  await withAdminClient((client) => client.query(`CREATE DATABASE "${name}"`))

  const databaseUrl = new URL(url.href)
  databaseUrl.pathname = `/${name}`
  return {
    env: { DATABASE_URL: databaseUrl.href, BEHALF_ENCRYPTION_KEY: randomBytes(32).toString('base64') },
    drop: () => withAdminClient(async (client) => void (await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))),
  }
}
