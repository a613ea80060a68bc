import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
// The CLI runs from dist: `npm test` builds it first (run `npx tsc -b` before running this file alone).
const CLI = path.join(REPO_ROOT, 'packages/server/dist/cli.js')
const EXIT_TIMEOUT_MS = 15_000

const tempDirs: string[] = []
const running = new Set<ChildProcess>()

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null
}

function freshDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'behalf-cli-test-'))
  tempDirs.push(dir)
  return dir
}

/** Builds the child's environment: the parent's without any Behalf setting, plus `overrides`. */
function cliEnv(overrides: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('BEHALF_') && name !== 'DATABASE_URL') env[name] = value
  }
  return { ...env, BEHALF_HOST: '127.0.0.1', BEHALF_PORT: '0', ...overrides }
}

interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs one CLI command to completion. */
function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
    running.add(child)
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL')
      reject(new Error(`behalf ${args.join(' ')} did not exit within ${EXIT_TIMEOUT_MS} ms. stdout: ${stdout} stderr: ${stderr}`))
    }, EXIT_TIMEOUT_MS)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      running.delete(child)
      resolve({ code, stdout, stderr })
    })
  })
}

interface StartedCli {
  child: ChildProcess
  url: string
  output(): { stdout: string; stderr: string }
  /** Sends SIGTERM to the process by its PID and waits for it to exit. */
  stop(): Promise<number | null>
}

/** Runs `behalf start` and resolves once it logged "server listening" (and printed a created key, if `expectKey`). */
function startCli(env: Record<string, string>, expectKey: boolean): Promise<StartedCli> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'start'], { env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
    running.add(child)
    let stdout = ''
    let stderr = ''
    const exited = new Promise<number | null>((resolveExit) => {
      child.on('close', (code) => {
        running.delete(child)
        resolveExit(code)
      })
    })

    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL')
      reject(new Error(`behalf start did not report listening within ${EXIT_TIMEOUT_MS} ms. stdout: ${stdout} stderr: ${stderr}`))
    }, EXIT_TIMEOUT_MS)

    const check = () => {
      const listening = stdout.split('\n').find((line) => line.includes('"msg":"server listening"'))
      if (!listening || (expectKey && !/BEHALF_SECRET_KEY=\S+\n/.test(stdout))) return
      clearTimeout(timer)
      resolve({
        child,
        url: JSON.parse(listening).url,
        output: () => ({ stdout, stderr }),
        async stop() {
          if (isRunning(child) && child.pid !== undefined) process.kill(child.pid, 'SIGTERM')
          return exited
        },
      })
    }
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8')
      check()
    })
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    child.on('error', reject)
    exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`behalf start exited with ${code} before listening. stdout: ${stdout} stderr: ${stderr}`))
    })
  })
}

function printedKeys(stdout: string): string[] {
  return [...stdout.matchAll(/BEHALF_SECRET_KEY=(\S+)/g)].map((match) => match[1] ?? '')
}

async function getWithKey(url: string, secretKey: string): Promise<number> {
  const response = await fetch(`${url}/v1/users`, { headers: { Authorization: `Bearer ${secretKey}` } })
  await response.body?.cancel()
  return response.status
}


afterAll(() => {
  // A failed test may leave a process running; stop each one by its PID.
  for (const child of running) {
    if (isRunning(child) && child.pid !== undefined) process.kill(child.pid, 'SIGKILL')
  }
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true })
})

describe('behalf start', () => {
  it('creates secret key once', async () => {
    const dataDir = freshDataDir()
    const first = await startCli({ BEHALF_DATA_DIR: dataDir }, true)
    const { stdout, stderr } = first.output()
    const [printed] = printedKeys(stdout)
    const keyFile = path.join(dataDir, 'secret-key')

    expect(printedKeys(stdout)).toHaveLength(1)
    expect(printed).toMatch(/^sk_test_[0-9A-Za-z]{43}$/)
    expect(stdout.split(printed ?? '').length - 1).toBe(1)
    expect(stderr).not.toContain(printed)
    expect(fs.readFileSync(keyFile, 'utf8').trim()).toBe(printed)
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600)
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:[0-9]+$/)
    expect(await getWithKey(first.url, printed ?? '')).toBe(200)
    expect(await first.stop()).toBe(0)

    const second = await startCli({ BEHALF_DATA_DIR: dataDir }, false)
    expect((await fetch(`${second.url}/health`)).status).toBe(200)
    expect(printedKeys(second.output().stdout)).toEqual([])
    expect(fs.readFileSync(keyFile, 'utf8').trim()).toBe(printed)
    expect(await getWithKey(second.url, printed ?? '')).toBe(200)
    expect(await second.stop()).toBe(0)

    const listed = await runCli(['keys', 'list'], { BEHALF_DATA_DIR: dataDir })
    expect(listed.stdout.trim().split('\n')).toHaveLength(1)
  })

  it('logs JSON lines and stops on SIGTERM', async () => {
    const started = await startCli({ BEHALF_DATA_DIR: freshDataDir() }, true)
    expect(await started.stop()).toBe(0)

    const logLines = started
      .output()
      .stdout.split('\n')
      .filter((line) => line.startsWith('{'))
    const messages = logLines.map((line) => JSON.parse(line).msg)
    expect(messages).toContain('server listening')
    expect(messages).toContain('shutting down')
    expect(messages).toContain('server stopped')
  })

  it('production instance creates sk_live key', async () => {
    const started = await startCli({ BEHALF_DATA_DIR: freshDataDir(), BEHALF_ENV: 'production' }, true)
    expect(printedKeys(started.output().stdout)[0]).toMatch(/^sk_live_[0-9A-Za-z]{43}$/)
    expect(await started.stop()).toBe(0)
  })
})

describe('behalf migrate', () => {
  it('exits 0 on fresh data dir', async () => {
    const dataDir = freshDataDir()
    const result = await runCli(['migrate'], { BEHALF_DATA_DIR: dataDir })

    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Database is up to date (sqlite).')
    expect(fs.existsSync(path.join(dataDir, 'behalf.db'))).toBe(true)
  })

  it('is idempotent', async () => {
    const dataDir = freshDataDir()
    expect((await runCli(['migrate'], { BEHALF_DATA_DIR: dataDir })).code).toBe(0)
    expect((await runCli(['migrate'], { BEHALF_DATA_DIR: dataDir })).code).toBe(0)
  })
})

describe('behalf keys', () => {
  let dataDir: string
  let server: StartedCli
  let bootstrapKey: string

  beforeAll(async () => {
    dataDir = freshDataDir()
    server = await startCli({ BEHALF_DATA_DIR: dataDir }, true)
    bootstrapKey = printedKeys(server.output().stdout)[0] ?? ''
  })

  afterAll(async () => {
    await server?.stop()
  })

  it('create, list and revoke', async () => {
    const created = await runCli(['keys', 'create', '--json'], { BEHALF_DATA_DIR: dataDir })
    expect(created.code).toBe(0)
    const key = JSON.parse(created.stdout) as { id: string; secret_key: string }
    expect(key.id).toMatch(/^key_/)
    expect(key.secret_key).toMatch(/^sk_test_[0-9A-Za-z]{43}$/)
    expect(await getWithKey(server.url, key.secret_key)).toBe(200)

    const listed = await runCli(['keys', 'list'], { BEHALF_DATA_DIR: dataDir })
    expect(listed.code).toBe(0)
    expect(listed.stdout).toContain(key.id)
    expect(listed.stdout).not.toContain(key.secret_key)
    expect(listed.stdout).not.toContain(bootstrapKey)
    expect(listed.stdout).toContain(key.secret_key.slice(0, 12))

    const revoked = await runCli(['keys', 'revoke', key.id], { BEHALF_DATA_DIR: dataDir })
    expect(revoked.code).toBe(0)
    expect(revoked.stdout).toContain(`Revoked ${key.id}`)
    // The server found the key valid above and may keep it for BEHALF_SECRET_KEY_CACHE_SECONDS (default 5).
    await new Promise((resolve) => setTimeout(resolve, 5_000))
    expect(await getWithKey(server.url, key.secret_key)).toBe(401)
    expect(await getWithKey(server.url, bootstrapKey)).toBe(200)

    const relisted = await runCli(['keys', 'list'], { BEHALF_DATA_DIR: dataDir })
    expect(relisted.stdout.split('\n').find((line) => line.startsWith(key.id))).toContain('revoked')
  })

  it('plain create prints only the key', async () => {
    const created = await runCli(['keys', 'create'], { BEHALF_DATA_DIR: dataDir })
    expect(created.code).toBe(0)
    expect(created.stdout).toMatch(/^sk_test_[0-9A-Za-z]{43}\n$/)
  })

  it('revoke twice exits 2', async () => {
    const created = JSON.parse((await runCli(['keys', 'create', '--json'], { BEHALF_DATA_DIR: dataDir })).stdout) as { id: string }
    expect((await runCli(['keys', 'revoke', created.id], { BEHALF_DATA_DIR: dataDir })).code).toBe(0)

    const again = await runCli(['keys', 'revoke', created.id], { BEHALF_DATA_DIR: dataDir })
    expect(again.code).toBe(2)
    expect(again.stderr).toContain(created.id)
  })

  it('revoke without id exits 2', async () => {
    const result = await runCli(['keys', 'revoke'], { BEHALF_DATA_DIR: dataDir })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('keys revoke needs the key id')
  })
})

describe('two processes on one database', () => {
  it('accept one ticket once', async () => {
    const dataDir = freshDataDir()
    const first = await startCli({ BEHALF_DATA_DIR: dataDir }, true)
    const second = await startCli({ BEHALF_DATA_DIR: dataDir }, false)
    const secretKey = printedKeys(first.output().stdout)[0] ?? ''
    const headers = { Authorization: `Bearer ${secretKey}`, 'Content-Type': 'application/json' }

    const user = await (await fetch(`${first.url}/v1/users`, { method: 'POST', headers, body: JSON.stringify({ email_address: ['two-processes@example.com'] }) })).json()
    const taskBody = { on_behalf_of: { user_id: user.id }, permissions: '*', agent_name: 'two-processes', task_description: 'test', redirect_url: 'http://localhost:3000/' }
    const task = await (await fetch(`${second.url}/v1/agents/tasks`, { method: 'POST', headers, body: JSON.stringify(taskBody) })).json()
    const ticket = new URL(task.url).searchParams.get('ticket')

    // Half of the visits go to each process, so the two race on the same SQLite file.
    const visits = Array.from({ length: 40 }, (_, index) =>
      fetch(`${index % 2 === 0 ? first.url : second.url}/agent-tasks/accept?ticket=${ticket}`, { redirect: 'manual', headers: { Accept: 'application/json' } }),
    )
    const statuses = await Promise.all(visits.map(async (visit) => (await visit).status))

    expect(statuses.filter((status) => status === 303)).toHaveLength(1)
    expect(statuses.filter((status) => status === 409)).toHaveLength(39)
    const sessions = await (await fetch(`${first.url}/v1/sessions?user_id=${user.id}`, { headers })).json()
    expect(sessions).toHaveLength(1)

    expect(await first.stop()).toBe(0)
    expect(await second.stop()).toBe(0)
  })
})

describe('invalid configuration', () => {
  it.each([
    ['BEHALF_ENV', 'staging'],
    ['BEHALF_PORT', 'abc'],
    ['BEHALF_PORT', '70000'],
    ['BEHALF_ALLOWED_ORIGINS', 'https://app.example.com/path'],
    ['BEHALF_PUBLIC_URL', 'not a url'],
    ['DATABASE_URL', 'mysql://localhost/behalf'],
  ])('%s=%s exits non-zero', async (name, value) => {
    const result = await runCli(['start'], { BEHALF_DATA_DIR: freshDataDir(), [name]: value })

    expect(result.code).toBe(2)
    expect(result.stderr).toContain(name)
    expect(result.stdout).not.toContain('server listening')
  })

  it('unknown command exits 2', async () => {
    const result = await runCli(['serve'], { BEHALF_DATA_DIR: freshDataDir() })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('Unknown command "serve"')
    expect(result.stderr).toContain('Usage: behalf')
  })
})
