import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { acceptTask, APP_REDIRECT_URL, createTask, createUser, firstError, uniqueSuffix, visit } from './support/fixtures.js'
import { readResponse, startTestServer, type TestServer } from './support/server.js'

let server: TestServer

beforeAll(async () => {
  server = await startTestServer()
})

afterAll(async () => {
  await server?.close()
})

function taskBody(onBehalfOf: Record<string, string>, fields: Record<string, unknown> = {}) {
  return {
    on_behalf_of: onBehalfOf,
    permissions: '*',
    agent_name: 'test-agent',
    task_description: 'Automated test login',
    redirect_url: APP_REDIRECT_URL,
    ...fields,
  }
}

async function sessionCount(userId: string): Promise<number> {
  const response = await server.api('GET', `/v1/sessions?user_id=${userId}`)
  expect(response.status).toBe(200)
  return response.body.length
}

describe('create', () => {
  it('returns exact response shape', async () => {
    const user = await createUser(server)
    const response = await server.api('POST', '/v1/agents/tasks', taskBody({ user_id: user.id }))

    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(Object.keys(response.body).sort()).toEqual(['agent_id', 'agent_task_id', 'object', 'task_id', 'url'])
    expect(response.body.object).toBe('agent_task')
    expect(response.body.agent_id).toMatch(/^agent_/)
    expect(response.body.agent_task_id).toMatch(/^agtask_/)
    expect(response.body.task_id).toBe(response.body.agent_task_id)
    expect(response.body.url).toMatch(new RegExp(`^${server.url}/agent-tasks/accept\\?ticket=[A-Za-z0-9_-]{43}$`))
  })

  it.each([
    ['email', (user: Awaited<ReturnType<typeof createUser>>) => user.email],
    ['email in upper case', (user: Awaited<ReturnType<typeof createUser>>) => user.email.toUpperCase()],
    ['phone', (user: Awaited<ReturnType<typeof createUser>>) => user.phone],
    ['username', (user: Awaited<ReturnType<typeof createUser>>) => user.username],
  ])('creates task by %s identifier', async (_kind, identifierOf) => {
    const user = await createUser(server)
    const response = await server.api('POST', '/v1/agents/tasks', taskBody({ identifier: identifierOf(user) }))
    expect(response.status, response.text).toBe(200)

    const task = await server.api('GET', `/v1/agents/tasks/${response.body.agent_task_id}`)
    expect(task.body.user_id).toBe(user.id)
  })

  it('keeps agent_id per agent_name', async () => {
    const user = await createUser(server)
    const name = `agent-${uniqueSuffix()}`
    const first = await createTask(server, user.id, { agent_name: name })
    const second = await createTask(server, user.id, { agent_name: name })
    const other = await createTask(server, user.id, { agent_name: `${name}-other` })

    expect(second.agentId).toBe(first.agentId)
    expect(other.agentId).not.toBe(first.agentId)
    expect(second.agentTaskId).not.toBe(first.agentTaskId)
    expect(second.ticket).not.toBe(first.ticket)
  })

  it('stores only the ticket hash', async () => {
    const user = await createUser(server)
    const task = await createTask(server, user.id)
    const row = await server.db.selectFrom('agent_tasks').selectAll().where('id', '=', task.agentTaskId).executeTakeFirstOrThrow()

    expect(JSON.stringify(row)).not.toContain(task.ticket)
    expect(row.ticket_hash).toMatch(/^[0-9a-f]{64}$/)
  })

  it('defaults to 600 second lifetime', async () => {
    const user = await createUser(server)
    const task = await createTask(server, user.id)
    const details = await server.api('GET', `/v1/agents/tasks/${task.agentTaskId}`)

    expect(details.body.expires_at - details.body.created_at).toBe(600_000)
    expect(details.body.session_max_duration_in_seconds).toBe(1800)
  })
})

describe('revoke', () => {
  it('blocks URL before use', async () => {
    const user = await createUser(server)
    const task = await createTask(server, user.id)

    const revoked = await server.api('POST', `/v1/agents/tasks/${task.agentTaskId}/revoke`)
    expect(revoked.status).toBe(200)
    expect(revoked.headers.get('content-type')).toBe('application/json')
    expect(revoked.body).toEqual({ object: 'agent_task', agent_id: task.agentId, agent_task_id: task.agentTaskId, task_id: task.agentTaskId })

    const visited = await readResponse(await visit(task.url, { Accept: 'application/json' }))
    expect(visited.status).toBe(410)
    expect(visited.statusText).toBe('Gone')
    expect(firstError(visited).code).toBe('ticket_revoked')
    expect(await sessionCount(user.id)).toBe(0)
    const rows = await server.db.selectFrom('sessions').select('id').where('user_id', '=', user.id).execute()
    expect(rows).toEqual([])
  })

  it('accepts empty JSON body', async () => {
    const user = await createUser(server)
    const task = await createTask(server, user.id)
    const response = await fetch(`${server.url}/v1/agents/tasks/${task.agentTaskId}/revoke`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${server.secretKey}`, 'Content-Type': 'application/json' },
    })
    expect(response.status).toBe(200)
  })

  it('revokes session after accept', async () => {
    const user = await createUser(server)
    const task = await createTask(server, user.id)
    await acceptTask(task.url)
    const before = await server.api('GET', `/v1/agents/tasks/${task.agentTaskId}`)
    expect(before.body.status).toBe('accepted')

    const revoked = await server.api('POST', `/v1/agents/tasks/${task.agentTaskId}/revoke`)
    expect(revoked.status).toBe(200)

    const session = await server.api('GET', `/v1/sessions/${before.body.session_id}`)
    expect(session.body.status).toBe('revoked')
    const after = await server.api('GET', `/v1/agents/tasks/${task.agentTaskId}`)
    expect(after.body.status).toBe('accepted')
    expect(after.body.revoked_at).toEqual(expect.any(Number))
  })

  it('returns 200 when repeated', async () => {
    const user = await createUser(server)
    const pending = await createTask(server, user.id)
    const accepted = await createTask(server, user.id)
    await acceptTask(accepted.url)

    for (const task of [pending, accepted]) {
      const first = await server.api('POST', `/v1/agents/tasks/${task.agentTaskId}/revoke`)
      const second = await server.api('POST', `/v1/agents/tasks/${task.agentTaskId}/revoke`)
      expect(first.status).toBe(200)
      expect(second.status).toBe(200)
      expect(second.body).toEqual(first.body)
    }
  })

  it('returns 404 for unknown task', async () => {
    const response = await server.api('POST', '/v1/agents/tasks/agtask_doesnotexist/revoke')
    expect(response.status).toBe(404)
    expect(firstError(response).code).toBe('resource_not_found')
  })
})

describe('read and list', () => {
  it('GET returns details without ticket', async () => {
    const user = await createUser(server)
    const name = `agent-${uniqueSuffix()}`
    const task = await createTask(server, user.id, { agent_name: name, task_description: 'Check the invoices' })
    const response = await server.api('GET', `/v1/agents/tasks/${task.agentTaskId}`)

    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(response.body).toMatchObject({
      object: 'agent_task',
      agent_id: task.agentId,
      agent_task_id: task.agentTaskId,
      task_id: task.agentTaskId,
      agent_name: name,
      user_id: user.id,
      status: 'pending',
      permissions: '*',
      task_description: 'Check the invoices',
      redirect_url: APP_REDIRECT_URL,
      session_id: null,
      accepted_at: null,
      revoked_at: null,
    })
    expect(response.body).not.toHaveProperty('url')
    expect(response.text).not.toContain(task.ticket)
    expect(response.text).not.toContain('/agent-tasks/accept')
  })

  it('GET unknown task returns 404', async () => {
    const response = await server.api('GET', '/v1/agents/tasks/agtask_doesnotexist')
    expect(response.status).toBe(404)
  })

  it('lists with filters, without tickets', async () => {
    const user = await createUser(server)
    const otherUser = await createUser(server)
    const name = `agent-${uniqueSuffix()}`
    const pending = await createTask(server, user.id, { agent_name: name })
    const accepted = await createTask(server, user.id, { agent_name: name })
    const revoked = await createTask(server, user.id)
    const otherUsers = await createTask(server, otherUser.id, { agent_name: name })
    await acceptTask(accepted.url)
    await server.api('POST', `/v1/agents/tasks/${revoked.agentTaskId}/revoke`)

    const byUser = await server.api('GET', `/v1/agents/tasks?user_id=${user.id}`)
    expect(byUser.status).toBe(200)
    expect(byUser.body.total_count).toBe(3)
    expect(byUser.body.data.map((task: { agent_task_id: string }) => task.agent_task_id).sort()).toEqual(
      [pending.agentTaskId, accepted.agentTaskId, revoked.agentTaskId].sort(),
    )

    const byAgent = await server.api('GET', `/v1/agents/tasks?agent_id=${pending.agentId}`)
    expect(byAgent.body.total_count).toBe(3)
    expect(byAgent.body.data.map((task: { user_id: string }) => task.user_id).sort()).toEqual([user.id, user.id, otherUser.id].sort())

    for (const [status, task] of [['pending', pending], ['accepted', accepted], ['revoked', revoked]] as const) {
      const byStatus = await server.api('GET', `/v1/agents/tasks?user_id=${user.id}&status=${status}`)
      expect(byStatus.body.total_count, status).toBe(1)
      expect(byStatus.body.data[0].agent_task_id, status).toBe(task.agentTaskId)
    }

    const page = await server.api('GET', `/v1/agents/tasks?user_id=${user.id}&limit=2&offset=2`)
    expect(page.body.data).toHaveLength(1)
    expect(page.body.total_count).toBe(3)

    for (const listing of [byUser, byAgent]) {
      for (const task of [pending, accepted, revoked, otherUsers]) expect(listing.text).not.toContain(task.ticket)
      expect(listing.text).not.toContain('/agent-tasks/accept')
      expect(listing.text).not.toContain('ticket')
    }
  })
})

describe('expiry', () => {
  it('expired ticket returns 410', async () => {
    const user = await createUser(server)
    const task = await createTask(server, user.id, { expires_in_seconds: 1 })
    await new Promise((resolve) => setTimeout(resolve, 1100))

    const visited = await readResponse(await visit(task.url, { Accept: 'application/json' }))
    expect(visited.status).toBe(410)
    expect(firstError(visited).code).toBe('ticket_expired')
    expect(await sessionCount(user.id)).toBe(0)

    const details = await server.api('GET', `/v1/agents/tasks/${task.agentTaskId}`)
    expect(details.body.status).toBe('expired')
    const expiredList = await server.api('GET', `/v1/agents/tasks?user_id=${user.id}&status=expired`)
    expect(expiredList.body.total_count).toBe(1)
  })
})
