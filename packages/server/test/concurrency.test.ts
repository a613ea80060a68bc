import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { acceptTask, createTask, createUser, exchangeCode, handoffCodeOf, uniqueSuffix, visit } from './support/fixtures.js'
import { startTestServer, type TestServer } from './support/server.js'

let server: TestServer

beforeAll(async () => {
  server = await startTestServer()
})

afterAll(async () => {
  await server?.close()
})

const VISITS = 50

describe('concurrent accept', () => {
  it('50 visits create one session', async () => {
    const user = await createUser(server)
    const task = await createTask(server, user.id)

    const responses = await Promise.all(Array.from({ length: VISITS }, () => visit(task.url, { Accept: 'application/json' })))
    const statuses = responses.map((response) => response.status)
    await Promise.all(responses.map((response) => response.body?.cancel()))

    expect(statuses.filter((status) => status === 303)).toHaveLength(1)
    expect(statuses.filter((status) => status === 409)).toHaveLength(VISITS - 1)
    const codes = responses.map(handoffCodeOf).filter((code) => code !== null)
    expect(codes).toHaveLength(1)

    const listed = await server.api('GET', `/v1/sessions?user_id=${user.id}`)
    expect(listed.body).toHaveLength(1)
    const rows = await server.db.selectFrom('sessions').select('id').where('user_id', '=', user.id).execute()
    expect(rows).toHaveLength(1)
    const codeRows = await server.db.selectFrom('handoff_codes').select('code_hash').where('session_id', '=', rows[0]?.id ?? '').execute()
    expect(codeRows).toHaveLength(1)

    const details = await server.api('GET', `/v1/agents/tasks/${task.agentTaskId}`)
    expect(details.body.session_id).toBe(rows[0]?.id)
    const accepted = await server.db.selectFrom('audit_events').select('id').where('agent_task_id', '=', task.agentTaskId).where('kind', '=', 'agent_task.accepted').execute()
    expect(accepted).toHaveLength(1)
  })
})

describe('concurrent exchange', () => {
  it('one code exchanges once', async () => {
    const user = await createUser(server)
    const task = await createTask(server, user.id)
    const code = await acceptTask(task.url)

    const responses = await Promise.all(Array.from({ length: 20 }, () => exchangeCode(server, code)))
    const statuses = responses.map((response) => response.status)

    expect(statuses.filter((status) => status === 200)).toHaveLength(1)
    expect(statuses.filter((status) => status === 400)).toHaveLength(19)
  })
})

describe('concurrent create', () => {
  it('new agent_name yields one agent', async () => {
    const user = await createUser(server)
    const agentName = `racing-agent-${uniqueSuffix()}`
    const tasks = await Promise.all(Array.from({ length: 10 }, () => createTask(server, user.id, { agent_name: agentName })))

    expect(new Set(tasks.map((task) => task.agentId)).size).toBe(1)
    const agents = await server.db.selectFrom('agents').select('id').where('name', '=', agentName).execute()
    expect(agents).toHaveLength(1)
  })

  it('same email yields one user', async () => {
    const email = `racing-${uniqueSuffix()}@example.com`
    const responses = await Promise.all(Array.from({ length: 10 }, () => server.api('POST', '/v1/users', { email_address: [email] })))
    const statuses = responses.map((response) => response.status)

    expect(statuses.filter((status) => status === 200)).toHaveLength(1)
    expect(statuses.filter((status) => status === 422)).toHaveLength(9)
    const count = await server.api('GET', `/v1/users/count?email_address=${encodeURIComponent(email)}`)
    expect(count.body.total_count).toBe(1)
  })
})

describe('concurrent revoke and accept', () => {
  it('never leaves active session behind', async () => {
    const user = await createUser(server)
    const tasks = await Promise.all(Array.from({ length: 10 }, () => createTask(server, user.id)))

    await Promise.all(
      tasks.flatMap((task) => [visit(task.url).then((response) => response.body?.cancel()), server.api('POST', `/v1/agents/tasks/${task.agentTaskId}/revoke`)]),
    )

    const active = await server.api('GET', `/v1/sessions?user_id=${user.id}&status=active`)
    expect(active.body).toEqual([])
  })
})
