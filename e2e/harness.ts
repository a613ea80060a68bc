/**
 * Starts the real processes that browser tests run against: a Behalf server on a fresh SQLite
 * file and an example app, each listening on 127.0.0.1, each stopped by its PID.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPOSITORY_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

export interface ManagedProcess {
  name: string
  child: ChildProcess
  output: () => string
  stop(): Promise<void>
}

/** Spawns `node <command…>`, keeping its output for error messages. */
export function startProcess(name: string, command: string[], env: Record<string, string>, cwd = REPOSITORY_ROOT): ManagedProcess {
  const child = spawn(process.execPath, command, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)

  return {
    name,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** Polls `url` until it responds with a status below 500, the process exits, or `timeoutMs` passes. */
export async function waitForHttp(url: string, processHandle: ManagedProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (processHandle.child.exitCode !== null) {
      throw new Error(`${processHandle.name} exited with code ${processHandle.child.exitCode} before ${url} responded:\n${processHandle.output()}`)
    }
    try {
      const response = await fetch(url, { redirect: 'manual' })
      if (response.status < 500) return
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${processHandle.name} did not respond at ${url} within ${timeoutMs} ms:\n${processHandle.output()}`)
}

export interface BehalfServer {
  url: string
  secretKey: string
  dataDir: string
  process: ManagedProcess
}

/** Starts `behalf start` on a fresh data directory and reads the secret key it creates on first start. */
export async function startBehalfServer(port: number, env: Record<string, string> = {}): Promise<BehalfServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'behalf-e2e-'))
  const url = `http://localhost:${port}`
  const server = startProcess('behalf server', [path.join(REPOSITORY_ROOT, 'packages/server/dist/cli.js'), 'start'], {
    BEHALF_PORT: String(port),
    BEHALF_DATA_DIR: dataDir,
    BEHALF_ENV: 'development',
    BEHALF_LOG_LEVEL: 'warn',
    ...env,
  })
  await waitForHttp(`http://127.0.0.1:${port}/health`, server)
  const secretKey = fs.readFileSync(path.join(dataDir, 'secret-key'), 'utf8').trim()
  return { url, secretKey, dataDir, process: server }
}

/** Creates a user through the Backend API, as a test's seed step would. */
export async function seedUser(server: BehalfServer, body: Record<string, unknown>): Promise<{ id: string }> {
  const response = await fetch(`${server.url}/v1/users`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${server.secretKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (!response.ok) throw new Error(`Seeding a user failed with ${response.status}: ${await response.text()}`)
  return (await response.json()) as { id: string }
}
