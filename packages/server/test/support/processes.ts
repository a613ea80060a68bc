/**
 * Runs `behalf start` as real processes, for tests that need several servers on one database
 * or a process killed with SIGKILL. Every process is stopped by its PID.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { createTestDatabase, type TestDatabase } from './engine.js'

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..')
// `npm test` builds dist first; run `npx tsc -b` before running such a test file alone.
const CLI = path.join(REPO_ROOT, 'packages/server/dist/cli.js')
const START_TIMEOUT_MS = 15_000

export interface ServerProcess {
  url: string
  pid: number
  /** SIGTERM, then wait for exit. */
  stop(): Promise<void>
  /** SIGKILL, as a crash would, then wait for exit. */
  kill(): Promise<void>
}

/** One instance's shared state: a data directory and a database, which any number of processes may use. */
export interface SharedInstance {
  dataDir: string
  database: TestDatabase
  env: Record<string, string>
  start(): Promise<ServerProcess>
  secretKey(): string
  /** Stops every process started for this instance and drops its database. */
  close(): Promise<void>
}

function childEnv(overrides: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('BEHALF_') && name !== 'DATABASE_URL') env[name] = value
  }
  return { ...env, ...overrides }
}

function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

export function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, [CLI, 'start'], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`behalf start did not listen within ${START_TIMEOUT_MS} ms: ${stdout} ${stderr}`))
    }, START_TIMEOUT_MS)

    const onStdout = (chunk: Buffer) => {
      stdout += chunk.toString('utf8')
      const listening = stdout.split('\n').find((line) => line.includes('"msg":"server listening"'))
      if (!listening) return
      clearTimeout(timer)
      // From here on the request log is drained unread, so the pipe never fills and blocks the server.
      child.stdout?.off('data', onStdout)
      child.stdout?.resume()
      resolve({
        url: JSON.parse(listening).url as string,
        pid: child.pid as number,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
          await exitOf(child)
        },
        async kill() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
          await exitOf(child)
        },
      })
    }
    child.stdout?.on('data', onStdout)
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`behalf start exited (${signal ?? code}) before listening: ${stdout} ${stderr}`))
    })
  })
}

/** Creates an instance (data directory and, on PostgreSQL, a database) that several processes share. */
export async function createSharedInstance(extraEnv: Record<string, string> = {}): Promise<SharedInstance> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'behalf-shared-'))
  const database = await createTestDatabase()
  const started: ServerProcess[] = []
  const env = {
    BEHALF_HOST: '127.0.0.1',
    BEHALF_PORT: '0',
    BEHALF_DATA_DIR: dataDir,
    BEHALF_ENV: 'development',
    // "server listening", which tells the test the port, is an info line.
    BEHALF_LOG_LEVEL: 'info',
    // Task URLs must point at 127.0.0.1 only; tests rewrite the host to pick a process.
    BEHALF_PUBLIC_URL: 'http://127.0.0.1:1',
    ...database.env,
    ...extraEnv,
  }

  return {
    dataDir,
    database,
    env,
    async start() {
      const server = await startServerProcess(env)
      started.push(server)
      return server
    },
    secretKey: () => fs.readFileSync(path.join(dataDir, 'secret-key'), 'utf8').trim(),
    async close() {
      await Promise.all(started.map((server) => server.kill()))
      await database.drop()
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
