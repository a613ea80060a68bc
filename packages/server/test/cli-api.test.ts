import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { visit } from './support/fixtures.js'
import { startTestServer, type TestServer } from './support/server.js'

// The CLI runs from dist: `npm test` builds it first (run `npx tsc -b` before running this file alone).
const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/cli.js')

let server: TestServer

beforeAll(async () => {
  server = await startTestServer()
})

afterAll(async () => {
  await server?.close()
})

interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, BEHALF_SECRET_KEY: server.secretKey, BEHALF_API_URL: server.url, ...env }
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete childEnv[name]

  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

describe('users commands', () => {
  it('create prints the user', async () => {
    const result = await cli(['users', 'create', '--email', 'cli-ada@example.com', '--first-name', 'Ada'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^user_\S+ {2}cli-ada@example\.com {2}Ada\n$/)
  })

  it('list --json returns users', async () => {
    const result = await cli(['users', 'list', '--email', 'cli-ada@example.com', '--json'])
    expect(result.code).toBe(0)
    const users = JSON.parse(result.stdout) as Array<{ firstName: string }>
    expect(users).toHaveLength(1)
    expect(users[0]?.firstName).toBe('Ada')
  })
})

describe('agent-tasks commands', () => {
  it('create by email prints a working URL', async () => {
    const result = await cli(['agent-tasks', 'create', '--user', 'cli-ada@example.com', '--redirect', 'http://localhost:3000/dashboard'])
    expect(result.code).toBe(0)
    const url = result.stdout.trim()
    expect(url).toContain('/agent-tasks/accept?ticket=')

    const response = await visit(url)
    expect(response.status).toBe(303)
  })

  it('create, list and revoke by id', async () => {
    const [user] = JSON.parse((await cli(['users', 'list', '--email', 'cli-ada@example.com', '--json'])).stdout) as Array<{ id: string }>
    const created = await cli(['agent-tasks', 'create', '--user', user?.id as string, '--redirect', 'http://localhost:3000/', '--agent-name', 'cli-agent', '--expires-in', '120', '--session-max-duration', '300', '--json'])
    expect(created.code).toBe(0)
    const task = JSON.parse(created.stdout) as { agentTaskId: string; url: string }

    const listed = await cli(['agent-tasks', 'list', '--user', user?.id as string, '--status', 'pending'])
    expect(listed.code).toBe(0)
    expect(listed.stdout).toContain(task.agentTaskId)
    expect(listed.stdout).toContain('cli-agent')

    const revoked = await cli(['agent-tasks', 'revoke', task.agentTaskId])
    expect(revoked.code).toBe(0)
    expect(revoked.stdout).toBe(`Revoked ${task.agentTaskId}.\n`)
    expect((await visit(task.url)).status).toBe(410)
  })

  it('unknown user fails clearly', async () => {
    const result = await cli(['agent-tasks', 'create', '--user', 'nobody@example.com', '--redirect', 'http://localhost:3000/'])
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain('nobody@example.com')
    expect(result.stderr).toContain('resource_not_found')
  })

  it('disallowed redirect fails clearly', async () => {
    const result = await cli(['agent-tasks', 'create', '--user', 'cli-ada@example.com', '--redirect', 'https://evil.example/'])
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain('https://evil.example')
    expect(result.stderr).toContain('redirect_url_not_allowed')
  })

  it('missing --redirect names the flag', async () => {
    const result = await cli(['agent-tasks', 'create', '--user', 'cli-ada@example.com'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('--redirect is missing')
  })

  it('bad --status names the values', async () => {
    const result = await cli(['agent-tasks', 'list', '--status', 'done'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('pending, accepted, revoked, expired')
  })
})

describe('configuration errors', () => {
  it('unreachable server fails clearly', async () => {
    const result = await cli(['users', 'list'], { BEHALF_API_URL: 'http://127.0.0.1:9' })
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain('Cannot reach the Behalf server at http://127.0.0.1:9')
  })

  it('missing secret key names the variable', async () => {
    const result = await cli(['users', 'list'], { BEHALF_SECRET_KEY: undefined })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('BEHALF_SECRET_KEY')
  })

  it('wrong secret key is rejected', async () => {
    const result = await cli(['users', 'list'], { BEHALF_SECRET_KEY: 'sk_test_wrongwrongwrongwrongwrongwrong' })
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain('authentication_invalid')
  })
})
