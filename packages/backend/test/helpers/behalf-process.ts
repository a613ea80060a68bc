import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Path of the built server CLI; integration tests are skipped while it does not exist. */
export const SERVER_CLI = resolve(dirname(fileURLToPath(import.meta.url)), '../../../server/dist/cli.js')

export const serverBuilt = existsSync(SERVER_CLI)

/** A Behalf server started as a child process on 127.0.0.1 with its own temporary data directory. */
export interface BehalfProcess {
  /** Address the server listens on. */
  url: string
  /** Public URL: the `iss` of its session tokens and the origin of its task URLs. */
  publicUrl: string
  secretKey: string
  dataDir: string
  stop(): Promise<void>
}

const START_TIMEOUT_MS = 15_000

/** Starts `behalf start` with `BEHALF_PORT=0` and waits for its "server listening" log line. */
export async function startBehalfServer(env: Record<string, string> = {}): Promise<BehalfProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), 'behalf-sdk-test-'))
  const child = spawn(process.execPath, [SERVER_CLI, 'start'], {
    env: {
      ...process.env,
      BEHALF_DATA_DIR: dataDir,
      BEHALF_PORT: '0',
      BEHALF_HOST: '127.0.0.1',
      BEHALF_ENV: 'development',
      DATABASE_URL: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })

  let stderr = ''
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk
  })

  const stop = async (): Promise<void> => {
    await stopProcess(child)
    await rm(dataDir, { recursive: true, force: true })
  }

  try {
    const listening = await waitForListening(child, () => stderr)
    const secretKey = (await readFile(join(dataDir, 'secret-key'), 'utf8')).trim()
    return { url: listening.url, publicUrl: listening.publicUrl ?? listening.url, secretKey, dataDir, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

function waitForListening(child: ChildProcess, readStderr: () => string): Promise<{ url: string; publicUrl?: string }> {
  return new Promise((resolvePromise, reject) => {
    let buffer = ''
    const timer = setTimeout(() => {
      reject(new Error(`Behalf server did not log "server listening" within ${START_TIMEOUT_MS} ms. stderr: ${readStderr()}`))
    }, START_TIMEOUT_MS)

    child.stdout?.setEncoding('utf8')
    child.stdout?.on('data', (chunk: string) => {
      buffer += chunk
      const lines = buffer.split('\n')
      buffer = lines.pop() ?? ''
      for (const line of lines) {
        if (!line.startsWith('{')) continue
        let entry: { msg?: unknown; url?: unknown; publicUrl?: unknown }
        try {
          entry = JSON.parse(line) as typeof entry
        } catch {
          continue
        }
        if (entry.msg === 'server listening' && typeof entry.url === 'string') {
          clearTimeout(timer)
          resolvePromise({ url: entry.url, publicUrl: typeof entry.publicUrl === 'string' ? entry.publicUrl : undefined })
        }
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`Behalf server exited with code ${code} before listening. stderr: ${readStderr()}`))
    })
  })
}

/** Sends SIGTERM to the process by its PID and waits for it to exit, with SIGKILL after 5 s. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
  const exited = new Promise<void>((resolvePromise) => child.once('exit', () => resolvePromise()))
  process.kill(child.pid, 'SIGTERM')
  const timer = setTimeout(() => {
    if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL')
  }, 5_000)
  await exited
  clearTimeout(timer)
}

/** Follows an agent-task URL without following its redirect, and returns the redirect's Location. */
export async function acceptTaskUrl(taskUrl: string): Promise<Response> {
  return fetch(taskUrl, { redirect: 'manual', headers: { Accept: 'text/html' } })
}

/** Turns `Set-Cookie` values into a `Cookie` request header, dropping deleted cookies. */
export function cookieHeaderFrom(setCookies: string[], previous = ''): string {
  const jar = new Map<string, string>()
  for (const pair of previous.split(';')) {
    const [name, ...rest] = pair.trim().split('=')
    if (name) jar.set(name, rest.join('='))
  }
  for (const setCookie of setCookies) {
    const [pair = '', ...attributes] = setCookie.split(';')
    const [name = '', ...rest] = pair.split('=')
    if (attributes.some((attribute) => attribute.trim() === 'Max-Age=0')) jar.delete(name)
    else jar.set(name, rest.join('='))
  }
  return [...jar].map(([name, value]) => `${name}=${value}`).join('; ')
}
