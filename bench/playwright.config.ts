import { defineConfig } from '@playwright/test'

import { SIGN_IN_BENCH_APP_PORT } from './sign-in/ports.js'

// Debian's Chromium: no browser is downloaded.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** The sign-in benchmark: one test that times both ways of reaching a signed-in page, in one run. */
export default defineConfig({
  testDir: './sign-in',
  testMatch: '*.bench.ts',
  globalSetup: './sign-in/global-setup.ts',
  workers: 1,
  reporter: 'list',
  timeout: 300_000,
  outputDir: '/tmp/behalf-bench-sign-in-results',
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS },
    baseURL: `http://localhost:${SIGN_IN_BENCH_APP_PORT}`,
  },
})
