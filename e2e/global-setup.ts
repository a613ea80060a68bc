import fs from 'node:fs'
import path from 'node:path'

import { REPOSITORY_ROOT, seedUser, startBehalfServer, startProcess, waitForHttp, type ManagedProcess } from './harness.js'
import { E2E_PORTS, SEEDED_USER } from './ports.js'

/**
 * Starts one Behalf server and the example apps for the whole browser test run, and exports
 * what the tests need through environment variables, which Playwright passes on to workers.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const started: ManagedProcess[] = []
  const stopAll = async () => {
    await Promise.all(started.map((processHandle) => processHandle.stop()))
  }

  try {
    const server = await startBehalfServer(E2E_PORTS.behalf)
    started.push(server.process)

    const user = await seedUser(server, {
      email_address: [SEEDED_USER.email],
      first_name: SEEDED_USER.firstName,
      last_name: 'Hopper',
      password: SEEDED_USER.password,
    })

    process.env.BEHALF_SECRET_KEY = server.secretKey
    process.env.BEHALF_API_URL = server.url
    process.env.E2E_USER_ID = user.id

    const express = startProcess('express example', [path.join(REPOSITORY_ROOT, 'examples/express/dist/server.js')], {
      PORT: String(E2E_PORTS.express),
      BEHALF_SECRET_KEY: server.secretKey,
      BEHALF_API_URL: server.url,
    })
    started.push(express)
    await waitForHttp(`http://127.0.0.1:${E2E_PORTS.express}/`, express)

    return async () => {
      await stopAll()
      fs.rmSync(server.dataDir, { recursive: true, force: true })
    }
  } catch (error) {
    await stopAll()
    throw error
  }
}
