import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { expireAgentTasks } from '../src/services/agent-tasks.js'
import { acceptTask, agentSession, APP_REDIRECT_URL, createTask, createUser, exchangeOk, handoffCodeOf, uniqueSuffix } from './support/fixtures.js'
import { signIn, signUp } from './support/forms.js'
import { startTestServer, TEST_USER_AGENT, type TestServer } from './support/server.js'

let server: TestServer

beforeAll(async () => {
  server = await startTestServer()
})

afterAll(async () => {
  await server?.close()
})

async function eventsFor(column: 'user_id' | 'agent_task_id' | 'session_id', id: string) {
  return server.db.selectFrom('audit_events').selectAll().where(column, '=', id).orderBy('created_at', 'asc').execute()
}

type EventRow = Awaited<ReturnType<typeof eventsFor>>[number]

function findEvent(events: EventRow[], kind: string): EventRow {
  const event = events.find((entry) => entry.kind === kind)
  expect(event, `no ${kind} event among ${events.map((entry) => entry.kind).join(', ')}`).toBeDefined()
  return event as EventRow
}

/** Checks that an event recorded who made the request: the loopback address and the test user agent. */
function expectRequestMeta(event: EventRow): void {
  expect(event.ip).toMatch(/^(::ffff:)?127\.0\.0\.1$/)
  expect(event.user_agent).toBe(TEST_USER_AGENT)
  expect(event.created_at).toBeGreaterThan(Date.now() - 60_000)
}

describe('agent task events', () => {
  it('create records secret key actor', async () => {
    const user = await createUser(server)
    const task = await createTask(server, user.id)
    const event = findEvent(await eventsFor('agent_task_id', task.agentTaskId), 'agent_task.created')

    expect(event.actor_type).toBe('secret_key')
    expect(event.actor_id).toMatch(/^key_/)
    expect(event.user_id).toBe(user.id)
    expectRequestMeta(event)
  })

  it('accept records agent actor', async () => {
    const user = await createUser(server)
    const task = await createTask(server, user.id)
    await acceptTask(task.url)
    const events = await eventsFor('agent_task_id', task.agentTaskId)
    const accepted = findEvent(events, 'agent_task.accepted')
    const sessionCreated = findEvent(events, 'session.created')

    expect(accepted.actor_type).toBe('agent')
    expect(accepted.actor_id).toBe(task.agentId)
    expect(accepted.session_id).toMatch(/^sess_/)
    expect(sessionCreated.session_id).toBe(accepted.session_id)
    expectRequestMeta(accepted)
    expectRequestMeta(sessionCreated)
  })

  it('revoke before use is recorded', async () => {
    const user = await createUser(server)
    const task = await createTask(server, user.id)
    await server.api('POST', `/v1/agents/tasks/${task.agentTaskId}/revoke`)
    const event = findEvent(await eventsFor('agent_task_id', task.agentTaskId), 'agent_task.revoked')

    expect(event.actor_type).toBe('secret_key')
    expect(event.user_id).toBe(user.id)
    expectRequestMeta(event)
  })

  it('revoke after accept records session', async () => {
    const { task, tokens } = await agentSession(server)
    await server.api('POST', `/v1/agents/tasks/${task.agentTaskId}/revoke`)
    const events = await eventsFor('agent_task_id', task.agentTaskId)

    expect(findEvent(events, 'agent_task.revoked').session_id).toBe(tokens.session_id)
    expect(findEvent(events, 'session.revoked').session_id).toBe(tokens.session_id)
  })

  it('repeated revoke records once', async () => {
    const user = await createUser(server)
    const task = await createTask(server, user.id)
    await server.api('POST', `/v1/agents/tasks/${task.agentTaskId}/revoke`)
    await server.api('POST', `/v1/agents/tasks/${task.agentTaskId}/revoke`)
    const revoked = (await eventsFor('agent_task_id', task.agentTaskId)).filter((event) => event.kind === 'agent_task.revoked')
    expect(revoked).toHaveLength(1)
  })

  it('expiry is recorded once', async () => {
    const user = await createUser(server)
    const task = await createTask(server, user.id)
    await server.db.updateTable('agent_tasks').set({ expires_at: Date.now() - 1 }).where('id', '=', task.agentTaskId).execute()

    expect(await expireAgentTasks(server.context)).toBeGreaterThanOrEqual(1)
    expect(await expireAgentTasks(server.context)).toBe(0)

    const expired = (await eventsFor('agent_task_id', task.agentTaskId)).filter((event) => event.kind === 'agent_task.expired')
    expect(expired).toHaveLength(1)
    expect(expired[0]?.actor_type).toBe('system')
    expect(expired[0]?.user_id).toBe(user.id)
    expect((await server.api('GET', `/v1/agents/tasks/${task.agentTaskId}`)).body.status).toBe('expired')
  })
})

describe('session events', () => {
  it('handoff exchange is recorded', async () => {
    const { tokens } = await agentSession(server)
    const event = findEvent(await eventsFor('session_id', tokens.session_id), 'session.handed_off')
    expect(JSON.parse(event.details)).toEqual({ origin: 'http://localhost:3000' })
    expectRequestMeta(event)
  })

  it('session revoke names the user', async () => {
    const { user, tokens } = await agentSession(server)
    await server.api('POST', `/v1/sessions/${tokens.session_id}/revoke`)
    const event = findEvent(await eventsFor('session_id', tokens.session_id), 'session.revoked')

    expect(event.actor_type).toBe('secret_key')
    expect(event.user_id).toBe(user.id)
    expectRequestMeta(event)
  })
})

describe('person events', () => {
  it('sign-in is recorded', async () => {
    const user = await createUser(server, { password: 'correct horse battery' })
    const response = await signIn(server, { email: user.email, password: 'correct horse battery' }, APP_REDIRECT_URL)
    const tokens = await exchangeOk(server, handoffCodeOf(response) ?? '')
    const events = await eventsFor('user_id', user.id)
    const signedIn = findEvent(events, 'user.signed_in')

    expect(signedIn.actor_type).toBe('user')
    expect(signedIn.actor_id).toBe(user.id)
    expect(signedIn.session_id).toBe(tokens.session_id)
    expectRequestMeta(signedIn)
  })

  it('failed sign-in is recorded', async () => {
    const user = await createUser(server, { password: 'correct horse battery' })
    await signIn(server, { email: user.email, password: 'not the password' }, APP_REDIRECT_URL)
    const event = findEvent(await eventsFor('user_id', user.id), 'user.sign_in_failed')
    expectRequestMeta(event)
  })

  it('sign-up records each kind once', async () => {
    const email = `audit-${uniqueSuffix()}@example.com`
    const response = await signUp(server, { email, password: 'correct horse battery' }, APP_REDIRECT_URL)
    expect(response.status).toBe(303)
    const [user] = (await server.api('GET', `/v1/users?email_address=${encodeURIComponent(email)}`)).body
    const kinds = (await eventsFor('user_id', user.id)).map((event) => event.kind).sort()

    expect(kinds).toEqual(['session.created', 'user.created', 'user.signed_up'])
  })

  it('Backend API user changes are recorded', async () => {
    const user = await createUser(server)
    await server.api('PATCH', `/v1/users/${user.id}`, { first_name: 'Changed' })
    await server.api('POST', `/v1/users/${user.id}/ban`)
    await server.api('POST', `/v1/users/${user.id}/unban`)
    await server.api('DELETE', `/v1/users/${user.id}`)
    const events = await eventsFor('user_id', user.id)

    expect(events.map((event) => event.kind)).toEqual(['user.created', 'user.updated', 'user.banned', 'user.unbanned', 'user.deleted'])
    for (const event of events) expectRequestMeta(event)
  })
})
