import { defineConfig } from '@playwright/test'

import { E2E_PORTS } from './e2e/ports.js'

// Debian's Chromium, launched the way this machine allows: no sandbox for root, and none of the
// background connections that a closed network would refuse.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export default defineConfig({
  globalSetup: './e2e/global-setup.ts',
  fullyParallel: true,
  workers: process.env.CI ? 2 : undefined,
  reporter: process.env.CI ? 'list' : [['list']],
  timeout: 30_000,
  use: {
    headless: true,
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS },
    trace: 'retain-on-failure',
  },
  projects: [
    {
      name: 'express',
      testDir: './examples/express/e2e',
      use: { baseURL: `http://localhost:${E2E_PORTS.express}` },
    },
  ],
})
