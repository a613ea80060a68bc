import fs from 'node:fs'
import path from 'node:path'

import { REPOSITORY_ROOT, seedUser, startBehalfServer, startProcess, waitForHttp, type ManagedProcess } from '../../e2e/harness.js'
import { BENCH_USER, SIGN_IN_BENCH_APP_PORT, SIGN_IN_BENCH_BEHALF_PORT } from './ports.js'

/**
 * Starts a Behalf server on a fresh SQLite file and the Express example's build
 * (examples/express/dist, built by `npx tsc -b`), both on 127.0.0.1, and seeds one user with a
 * password. Both processes are stopped by PID when the run ends.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const started: ManagedProcess[] = []
  const stopAll = async () => {
    await Promise.all(started.map((handle) => handle.stop()))
  }

  try {
    const server = await startBehalfServer(SIGN_IN_BENCH_BEHALF_PORT)
    started.push(server.process)
    const user = await seedUser(server, {
      email_address: [BENCH_USER.email],
      first_name: BENCH_USER.firstName,
      password: BENCH_USER.password,
    })

    process.env.BEHALF_SECRET_KEY = server.secretKey
    process.env.BEHALF_API_URL = server.url
    process.env.BENCH_USER_ID = user.id

    const app = startProcess(
      'express example',
      ['dist/server.js'],
      { PORT: String(SIGN_IN_BENCH_APP_PORT), BEHALF_SECRET_KEY: server.secretKey, BEHALF_API_URL: server.url },
      path.join(REPOSITORY_ROOT, 'examples', 'express'),
    )
    started.push(app)
    await waitForHttp(`http://127.0.0.1:${SIGN_IN_BENCH_APP_PORT}/`, app, 60_000)

    return async () => {
      await stopAll()
      fs.rmSync(server.dataDir, { recursive: true, force: true })
    }
  } catch (error) {
    await stopAll()
    throw error
  }
}
