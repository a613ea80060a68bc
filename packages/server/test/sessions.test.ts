import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { acceptTask, APP_ORIGIN, createTask, createUser, firstError } from './support/fixtures.js'
import { startTestServer, type TestServer } from './support/server.js'

let server: TestServer

beforeAll(async () => {
  server = await startTestServer()
})

afterAll(async () => {
  await server?.close()
})

/** Creates a user with `count` accepted agent tasks and returns the user and the session ids. */
async function userWithSessions(count: number) {
  const user = await createUser(server)
  const sessionIds: string[] = []
  for (let index = 0; index < count; index += 1) {
    const task = await createTask(server, user.id)
    await acceptTask(task.url)
    const details = await server.api('GET', `/v1/agents/tasks/${task.agentTaskId}`)
    sessionIds.push(details.body.session_id)
  }
  return { user, sessionIds }
}

describe('list', () => {
  it('returns bare array by user_id', async () => {
    const { user, sessionIds } = await userWithSessions(2)
    await userWithSessions(1)
    const response = await server.api('GET', `/v1/sessions?user_id=${user.id}`)

    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(Array.isArray(response.body)).toBe(true)
    expect(response.body.map((session: { id: string }) => session.id).sort()).toEqual([...sessionIds].sort())
    for (const session of response.body) expect(session.object).toBe('session')
  })

  it('filters by status', async () => {
    const { user, sessionIds } = await userWithSessions(2)
    const [revokedId, activeId] = sessionIds
    await server.api('POST', `/v1/sessions/${revokedId}/revoke`)

    const active = await server.api('GET', `/v1/sessions?user_id=${user.id}&status=active`)
    expect(active.body.map((session: { id: string }) => session.id)).toEqual([activeId])

    const revoked = await server.api('GET', `/v1/sessions?user_id=${user.id}&status=revoked`)
    expect(revoked.body.map((session: { id: string }) => session.id)).toEqual([revokedId])

    const expired = await server.api('GET', `/v1/sessions?user_id=${user.id}&status=expired`)
    expect(expired.body).toEqual([])
  })

  it('unknown user gives empty list', async () => {
    const response = await server.api('GET', '/v1/sessions?user_id=user_doesnotexist')
    expect(response.status).toBe(200)
    expect(response.body).toEqual([])
  })
})

describe('get', () => {
  it('returns session wire format', async () => {
    const { user, sessionIds } = await userWithSessions(1)
    const response = await server.api('GET', `/v1/sessions/${sessionIds[0]}`)

    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(response.body).toMatchObject({ object: 'session', id: sessionIds[0], user_id: user.id, status: 'active', permissions: ['*'], azp: APP_ORIGIN })
    expect(response.body.actor).toEqual({ sub: expect.stringMatching(/^agent_/), name: 'test-agent', agent_task_id: expect.stringMatching(/^agtask_/) })
    for (const field of ['last_active_at', 'expire_at', 'created_at', 'updated_at']) expect(response.body[field], field).toEqual(expect.any(Number))
    expect(response.text).not.toContain('refresh')
  })

  it('unknown session returns 404', async () => {
    const response = await server.api('GET', '/v1/sessions/sess_doesnotexist')
    expect(response.status).toBe(404)
    expect(firstError(response).code).toBe('resource_not_found')
  })
})

describe('revoke', () => {
  it('marks session revoked', async () => {
    const { sessionIds } = await userWithSessions(1)
    const response = await server.api('POST', `/v1/sessions/${sessionIds[0]}/revoke`)

    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(response.body.object).toBe('session')
    expect(response.body.status).toBe('revoked')
    expect((await server.api('GET', `/v1/sessions/${sessionIds[0]}`)).body.status).toBe('revoked')
  })

  it('repeated revoke returns 200', async () => {
    const { sessionIds } = await userWithSessions(1)
    await server.api('POST', `/v1/sessions/${sessionIds[0]}/revoke`)
    const second = await server.api('POST', `/v1/sessions/${sessionIds[0]}/revoke`)

    expect(second.status).toBe(200)
    expect(second.body.status).toBe('revoked')
  })

  it('unknown session returns 404', async () => {
    const response = await server.api('POST', '/v1/sessions/sess_doesnotexist/revoke')
    expect(response.status).toBe(404)
  })
})
