import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { loadConfig } from '../src/config.js'
import { openDatabase, type DatabaseHandle } from '../src/db/database.js'
import { TEST_ENGINE } from './support/engine.js'
import { createSharedInstance, type ServerProcess, type SharedInstance } from './support/processes.js'

/** Several `behalf start` processes on one database: what a load-balanced deployment runs. */

let instance: SharedInstance
let first: ServerProcess
let second: ServerProcess
let secretKey: string
let userId: string

async function api(server: ServerProcess, method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${secretKey}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  return { status: response.status, body: text ? JSON.parse(text) : null }
}

/** Task URLs name the public URL; each visit is sent to the process the test picks. */
function urlOn(server: ServerProcess, taskUrl: string): string {
  const url = new URL(taskUrl)
  return `${server.url}${url.pathname}${url.search}`
}

async function visit(server: ServerProcess, taskUrl: string): Promise<number> {
  const response = await fetch(urlOn(server, taskUrl), { redirect: 'manual', headers: { Accept: 'application/json' } })
  await response.body?.cancel()
  return response.status
}

async function createTask(server: ServerProcess, agentName = 'multi-process-agent') {
  const response = await api(server, 'POST', '/v1/agents/tasks', {
    on_behalf_of: { user_id: userId },
    permissions: '*',
    agent_name: agentName,
    task_description: 'multi-process test',
    redirect_url: 'http://localhost:3000/dashboard',
  })
  expect(response.status).toBe(200)
  return response.body as { agent_task_id: string; agent_id: string; url: string }
}

beforeAll(async () => {
  // Processes reread the signing keys every second, so a rotation reaches them within the test.
  // The visits come from one address far faster than any person would, and this file tests
  // atomicity, not rate limits, so the accept limit is off.
  instance = await createSharedInstance({ BEHALF_SIGNING_KEY_REFRESH_SECONDS: '1', BEHALF_RATE_LIMIT_ACCEPT_PER_MINUTE: '0' })
  // One process starts first so that exactly one of them creates the instance's first secret key.
  first = await instance.start()
  second = await instance.start()
  secretKey = instance.secretKey()

  const user = await api(first, 'POST', '/v1/users', { email_address: ['multi-process@example.com'], first_name: 'Multi' })
  expect(user.status).toBe(200)
  userId = user.body.id
}, 60_000)

afterAll(async () => {
  await instance?.close()
})

describe(`two processes on ${TEST_ENGINE}`, () => {
  it('200 trials of 50 visits', async () => {
    const TRIALS = 200
    const VISITS = 50
    const sessionsBefore = (await api(first, 'GET', `/v1/sessions?user_id=${userId}&limit=500`)).body.length

    for (let trial = 0; trial < TRIALS; trial++) {
      const task = await createTask(trial % 2 === 0 ? first : second)
      const statuses = await Promise.all(Array.from({ length: VISITS }, (_, index) => visit(index % 2 === 0 ? first : second, task.url)))

      const winners = statuses.filter((status) => status === 303).length
      const losers = statuses.filter((status) => status === 409).length
      expect(winners, `trial ${trial}: ${statuses.join(',')}`).toBe(1)
      expect(losers, `trial ${trial}`).toBe(VISITS - 1)
    }

    const sessions = (await api(second, 'GET', `/v1/sessions?user_id=${userId}&limit=500`)).body as unknown[]
    expect(sessions.length - sessionsBefore).toBe(TRIALS)
  }, 240_000)

  it('revoke racing accept stays consistent', async () => {
    const outcomes = { accepted: 0, revoked: 0 }

    for (let trial = 0; trial < 50; trial++) {
      const task = await createTask(first)
      const [visitStatus, revoke] = await Promise.all([visit(first, task.url), api(second, 'POST', `/v1/agents/tasks/${task.agent_task_id}/revoke`)])
      expect(revoke.status).toBe(200)

      const details = (await api(first, 'GET', `/v1/agents/tasks/${task.agent_task_id}`)).body
      if (details.status === 'accepted') {
        outcomes.accepted++
        expect(visitStatus).toBe(303)
        const session = await api(second, 'GET', `/v1/sessions/${details.session_id}`)
        expect(session.body.status).toBe('revoked')
      } else {
        outcomes.revoked++
        expect(details.status).toBe('revoked')
        expect(details.session_id).toBeNull()
        expect(visitStatus).toBe(410)
      }
    }

    expect(outcomes.accepted + outcomes.revoked).toBe(50)
  }, 120_000)

  it('new agent name yields one agent', async () => {
    const agentName = `racing-agent-${Date.now()}`
    const tasks = await Promise.all(Array.from({ length: 20 }, (_, index) => createTask(index % 2 === 0 ? first : second, agentName)))
    expect(new Set(tasks.map((task) => task.agent_id)).size).toBe(1)
  })
})

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/cli.js')

/** Signs in through a fresh task and returns the `kid` that signed the session token. */
async function signingKidOf(server: ServerProcess): Promise<string> {
  const task = await createTask(server)
  const response = await fetch(urlOn(server, task.url), { redirect: 'manual' })
  const code = new URL(response.headers.get('location') as string).searchParams.get('__behalf_handoff')
  const exchange = await api(server, 'POST', '/v1/handoffs/exchange', { code, origin: 'http://localhost:3000' })
  expect(exchange.status).toBe(200)
  const header = JSON.parse(Buffer.from(exchange.body.session_token.split('.')[0], 'base64url').toString('utf8'))
  return header.kid as string
}

async function publishedKids(server: ServerProcess): Promise<string[]> {
  const response = await fetch(`${server.url}/.well-known/jwks.json`)
  const jwks = (await response.json()) as { keys: Array<{ kid: string }> }
  return jwks.keys.map((key) => key.kid)
}

describe(`signing key rotation on ${TEST_ENGINE}`, () => {
  it('publishes before signing, on both', async () => {
    const oldKid = await signingKidOf(first)
    expect(await signingKidOf(second)).toBe(oldKid)

    const output = execFileSync(process.execPath, [CLI, 'keys', 'rotate-signing', '--activate-in', '3'], { env: { ...process.env, ...instance.env }, encoding: 'utf8' })
    const newKid = /Added signing key (\S+);/.exec(output)?.[1] as string
    expect(newKid).toMatch(/^ins_/)

    // Within one refresh interval both processes publish the new key but still sign with the old one.
    await new Promise((resolve) => setTimeout(resolve, 1_300))
    for (const server of [first, second]) {
      expect(await publishedKids(server)).toContain(newKid)
      expect(await signingKidOf(server)).toBe(oldKid)
    }

    // Once it is active, both sign with it and keep the old key listed for tokens it signed.
    await new Promise((resolve) => setTimeout(resolve, 3_000))
    for (const server of [first, second]) {
      expect(await signingKidOf(server)).toBe(newKid)
      expect(await publishedKids(server)).toContain(oldKid)
    }
  }, 30_000)
})

describe(`crash on ${TEST_ENGINE}`, () => {
  let crashInstance: SharedInstance
  let database: DatabaseHandle | null = null

  beforeAll(async () => {
    crashInstance = await createSharedInstance()
  })

  afterAll(async () => {
    await database?.close()
    await crashInstance?.close()
  })

  it('kill -9 loses no answered create', async () => {
    let server = await crashInstance.start()
    const key = crashInstance.secretKey()
    const call = async (target: ServerProcess, method: string, path: string, body?: unknown) => {
      const response = await fetch(`${target.url}${path}`, {
        method,
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      return { status: response.status, body: (await response.json()) as Record<string, any> }
    }
    const user = await call(server, 'POST', '/v1/users', { email_address: ['crash@example.com'] })

    const answered: Array<{ id: string; url: string }> = []
    let streaming = true
    const stream = async () => {
      while (streaming) {
        try {
          const response = await call(server, 'POST', '/v1/agents/tasks', {
            on_behalf_of: { user_id: user.body.id },
            permissions: '*',
            agent_name: 'crash-agent',
            task_description: 'streamed before a crash',
            redirect_url: 'http://localhost:3000/dashboard',
          })
          if (response.status === 200) answered.push({ id: response.body.agent_task_id, url: response.body.url })
        } catch {
          // The connection died with the process; the request may or may not have committed.
        }
      }
    }
    const clients = Array.from({ length: 8 }, () => stream())
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    await server.kill()
    streaming = false
    await Promise.all(clients)
    expect(answered.length).toBeGreaterThan(50)

    server = await crashInstance.start()
    for (const task of answered) {
      const details = await call(server, 'GET', `/v1/agents/tasks/${task.id}`)
      expect(details.status).toBe(200)
      expect(details.body.status).toBe('pending')
    }
    for (const task of answered.slice(0, 100)) {
      const response = await fetch(urlOn(server, task.url), { redirect: 'manual' })
      await response.body?.cancel()
      expect(response.status).toBe(303)
    }

    // Nothing half-written: every task has its agent and its creation audit event, and no event lacks its task.
    database = openDatabase(loadConfig(crashInstance.env))
    const tasks = await database.db.selectFrom('agent_tasks').select(['id', 'agent_id']).execute()
    const agents = new Set((await database.db.selectFrom('agents').select('id').execute()).map((row) => row.id))
    const created = new Set(
      (await database.db.selectFrom('audit_events').select('agent_task_id').where('kind', '=', 'agent_task.created').execute()).map((row) => row.agent_task_id),
    )
    expect(tasks.length).toBeGreaterThanOrEqual(answered.length)
    for (const task of tasks) {
      expect(agents.has(task.agent_id)).toBe(true)
      expect(created.has(task.id)).toBe(true)
    }
    expect(created.size).toBe(tasks.length)
  }, 120_000)
})
