import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    // Integration tests start real server processes and hash real passwords.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
