import fs from 'node:fs'

import { defineConfig } from '@playwright/test'

import { EXAMPLE_APPS } from './e2e/apps.js'

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
  workers: 2,
  reporter: 'list',
  timeout: 30_000,
  use: {
    headless: true,
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS },
    trace: 'retain-on-failure',
  },
  projects: [
    ...EXAMPLE_APPS.map((app) => ({
      name: app.name,
      testDir: `./examples/${app.name}/e2e`,
      // Separate folders, so that runs of different projects never delete each other's traces.
      outputDir: `test-results/${app.name}`,
      use: { baseURL: `http://localhost:${app.port}` },
    })),
    // Parallel sign-in runs, started on their own with eight workers by `npm run test:e2e`.
    ...(process.env.E2E_PARALLEL
      ? EXAMPLE_APPS.filter((app) => fs.existsSync(`examples/${app.name}/e2e-parallel`)).map((app) => ({
          name: `${app.name}:parallel`,
          testDir: `./examples/${app.name}/e2e-parallel`,
          outputDir: `test-results/${app.name}-parallel`,
          use: { baseURL: `http://localhost:${app.port}` },
        }))
      : []),
  ],
})
