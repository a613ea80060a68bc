import fs from 'node:fs'
import path from 'node:path'

import { EXAMPLE_APPS } from './apps.js'
import { REPOSITORY_ROOT, seedUser, startBehalfServer, startProcess, waitForHttp, type ManagedProcess } from './harness.js'
import { E2E_BEHALF_PORT, E2E_SESSION_TOKEN_TTL_SECONDS, SEEDED_USER } from './ports.js'

/** Project names given with `--project` on the command line; empty means every project runs. */
function selectedProjects(argv: string[]): string[] {
  const names: string[] = []
  argv.forEach((argument, index) => {
    if (argument === '--project' && argv[index + 1]) names.push(argv[index + 1] as string)
    if (argument.startsWith('--project=')) names.push(argument.slice('--project='.length))
  })
  // `express:parallel` runs against the express app.
  return names.map((name) => name.split(':')[0] as string)
}

/**
 * Starts one Behalf server and the selected example apps for the whole browser test run, and
 * exports what the tests need through environment variables, which Playwright passes on to
 * workers.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const started: ManagedProcess[] = []
  const stopAll = async () => {
    await Promise.all(started.map((processHandle) => processHandle.stop()))
  }

  try {
    const server = await startBehalfServer(E2E_BEHALF_PORT, { BEHALF_SESSION_TOKEN_TTL_SECONDS: String(E2E_SESSION_TOKEN_TTL_SECONDS) })
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

    const selected = selectedProjects(process.argv)
    const apps = EXAMPLE_APPS.filter((app) => selected.length === 0 || selected.includes(app.name))
    await Promise.all(
      apps.map(async (app) => {
        const port = app.port
        const handle = startProcess(
          `${app.name} example`,
          app.command,
          { PORT: String(port), BEHALF_SECRET_KEY: server.secretKey, BEHALF_API_URL: server.url, ...app.env },
          path.join(REPOSITORY_ROOT, 'examples', app.name),
        )
        started.push(handle)
        await waitForHttp(`http://127.0.0.1:${port}${app.readyPath}`, handle, 60_000)
      }),
    )

    return async () => {
      await stopAll()
      fs.rmSync(server.dataDir, { recursive: true, force: true })
    }
  } catch (error) {
    await stopAll()
    throw error
  }
}
