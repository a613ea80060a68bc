import { defineConfig } from 'vitest/config'

// The server suite runs on SQLite always, and a second time on PostgreSQL when
// BEHALF_TEST_DATABASE_URL points at a server that may create databases. CI must test both
// engines, so there a missing URL is an error rather than a silent skip.
const postgresUrl = process.env.BEHALF_TEST_DATABASE_URL
if (process.env.CI && !postgresUrl) {
  throw new Error('CI runs the server suite on PostgreSQL too: set BEHALF_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres).')
}

const shared = {
  // Integration tests start real server processes and hash real passwords.
  testTimeout: 30_000,
  hookTimeout: 60_000,
}

export default defineConfig({
  test: {
    projects: [
      { test: { ...shared, name: 'sqlite', include: ['packages/*/test/**/*.test.ts'] } },
      ...(postgresUrl
        ? [{ test: { ...shared, name: 'postgres', include: ['packages/server/test/**/*.test.ts'], env: { BEHALF_TEST_ENGINE: 'postgres' } } }]
        : []),
    ],
  },
})
