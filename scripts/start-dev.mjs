#!/usr/bin/env node
/**
 * `npm start`: runs the Behalf server on SQLite (./.behalf) and the Express example, creates a
 * demo user on a development instance, and prints the app URL and a ready agent-task URL.
 * Ctrl-C stops both processes.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { BehalfAPIError, createClient } from '@behalf/backend'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const serverPort = Number(process.env.BEHALF_PORT ?? 4000)
const appPort = Number(process.env.PORT ?? 3000)
const dataDir = path.resolve(root, process.env.BEHALF_DATA_DIR ?? '.behalf')
const apiUrl = `http://localhost:${serverPort}`
const appUrl = `http://localhost:${appPort}`

const DEMO_USER = { email: 'demo@example.com', firstName: 'Ada', lastName: 'Lovelace', password: 'behalf-demo-password' }

const children = []

function start(name, args, env) {
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] })
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`\n${name} stopped (${signal ?? `exit code ${code}`}); stopping the rest.`)
      stop(1)
    }
  })
  children.push(child)
  return child
}

let stopping = false
function stop(exitCode) {
  stopping = true
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM')
  setTimeout(() => process.exit(exitCode), 500).unref()
}
process.on('SIGINT', () => stop(0))
process.on('SIGTERM', () => stop(0))

async function waitFor(url, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    try {
      await fetch(url)
      return
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  throw new Error(`${url} did not respond within ${timeoutMs} ms`)
}

function readSecretKey() {
  if (process.env.BEHALF_SECRET_KEY) return process.env.BEHALF_SECRET_KEY
  const file = path.join(dataDir, 'secret-key')
  if (!fs.existsSync(file)) {
    throw new Error(`${file} is missing: create a key with "npx behalf keys create" and set BEHALF_SECRET_KEY to it.`)
  }
  return fs.readFileSync(file, 'utf8').trim()
}

/** Finds the demo user or creates it; returns its id. */
async function ensureDemoUser(behalf) {
  const [existing] = await behalf.users.list({ emailAddress: [DEMO_USER.email] })
  if (existing) return existing.id
  const user = await behalf.users.create({
    emailAddress: [DEMO_USER.email],
    firstName: DEMO_USER.firstName,
    lastName: DEMO_USER.lastName,
    password: DEMO_USER.password,
  })
  return user.id
}

async function main() {
  start('Behalf server', [path.join(root, 'packages/server/dist/cli.js'), 'start'], {
    BEHALF_PORT: String(serverPort),
    BEHALF_DATA_DIR: dataDir,
    BEHALF_ENV: process.env.BEHALF_ENV ?? 'development',
    // Request logs would bury the URLs printed below; BEHALF_LOG_LEVEL=info brings them back.
    BEHALF_LOG_LEVEL: process.env.BEHALF_LOG_LEVEL ?? 'warn',
  })
  await waitFor(`http://127.0.0.1:${serverPort}/health`)

  const secretKey = readSecretKey()
  const behalf = createClient({ secretKey, apiUrl })
  const isDevelopment = (process.env.BEHALF_ENV ?? 'development') === 'development'
  const userId = isDevelopment ? await ensureDemoUser(behalf) : null

  start('Express example', [path.join(root, 'examples/express/dist/server.js')], {
    PORT: String(appPort),
    BEHALF_SECRET_KEY: secretKey,
    BEHALF_API_URL: apiUrl,
  })
  await waitFor(`http://127.0.0.1:${appPort}/`)

  const lines = ['', 'Behalf is running.', `  Behalf server:   ${apiUrl}`, `  Example app:     ${appUrl}`]
  if (userId) {
    const agentTask = await behalf.agentTasks.create({
      onBehalfOf: { userId },
      permissions: '*',
      agentName: 'demo-agent',
      taskDescription: 'Demo sign-in from npm start',
      redirectUrl: `${appUrl}/dashboard`,
    })
    lines.push(
      `  Demo user:       ${DEMO_USER.email} / ${DEMO_USER.password} (${userId})`,
      '',
      'Open this one-time agent-task URL to be signed in as the demo user (valid for 10 minutes, once):',
      `  ${agentTask.url}`,
    )
  }
  lines.push('', 'Press Ctrl-C to stop.', '')
  console.log(lines.join('\n'))
}

main().catch((error) => {
  const detail = error instanceof BehalfAPIError ? JSON.stringify(error.errors) : ''
  console.error(`npm start failed: ${error instanceof Error ? error.message : String(error)} ${detail}`)
  stop(1)
})
