import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { acceptTask, APP_ORIGIN, countRows, createTask, createUser, firstError, handoffCodeOf, HANDOFF_PARAMETER, visit } from './support/fixtures.js'
import { readResponse, startTestServer, type TestServer } from './support/server.js'

let server: TestServer

beforeAll(async () => {
  server = await startTestServer()
})

afterAll(async () => {
  await server?.close()
})

async function sessionRowsOf(userId: string) {
  return server.db.selectFrom('sessions').selectAll().where('user_id', '=', userId).execute()
}

/** A well-formed ticket that no task has. */
const UNKNOWN_TICKET = 'A'.repeat(43)

describe('successful visit', () => {
  it('redirects 303 with handoff code', async () => {
    const user = await createUser(server)
    const task = await createTask(server, user.id)
    const response = await visit(task.url)

    expect(response.status).toBe(303)
    const [target, code] = (response.headers.get('location') ?? '').split(`${HANDOFF_PARAMETER}=`)
    expect(target).toBe(`${APP_ORIGIN}/dashboard?`)
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(handoffCodeOf(response)).toBe(code)
  })

  it('keeps query and fragment untouched', async () => {
    const user = await createUser(server)
    const redirectUrl = `${APP_ORIGIN}/reports?q=a%20b&flag&path=%2Fx#section-2`
    const task = await createTask(server, user.id, { redirect_url: redirectUrl })
    const response = await visit(task.url)
    const [target, rest] = (response.headers.get('location') ?? '').split(`${HANDOFF_PARAMETER}=`)

    expect(response.status).toBe(303)
    expect(target).toBe(`${APP_ORIGIN}/reports?q=a%20b&flag&path=%2Fx&`)
    expect(rest).toMatch(/^[A-Za-z0-9_-]{43}#section-2$/)
  })

  it('replaces stale handoff parameter', async () => {
    const user = await createUser(server)
    const task = await createTask(server, user.id, { redirect_url: `${APP_ORIGIN}/cb?${HANDOFF_PARAMETER}=stale&keep=1` })
    const response = await visit(task.url)
    const location = new URL(response.headers.get('location') ?? '')

    expect(location.searchParams.getAll(HANDOFF_PARAMETER)).toHaveLength(1)
    expect(location.searchParams.get(HANDOFF_PARAMETER)).not.toBe('stale')
    expect(location.searchParams.get('keep')).toBe('1')
  })

  it('sets no-store and no-referrer', async () => {
    const user = await createUser(server)
    const task = await createTask(server, user.id)
    const response = await visit(task.url)

    expect(response.status).toBe(303)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(response.headers.get('referrer-policy')).toBe('no-referrer')
  })

  it('creates agent session', async () => {
    const user = await createUser(server)
    const task = await createTask(server, user.id, { agent_name: 'accept-agent', session_max_duration_in_seconds: 900 })
    await acceptTask(task.url)

    const details = await server.api('GET', `/v1/agents/tasks/${task.agentTaskId}`)
    expect(details.body.status).toBe('accepted')
    expect(details.body.accepted_at).toEqual(expect.any(Number))

    const session = await server.api('GET', `/v1/sessions/${details.body.session_id}`)
    expect(session.body.user_id).toBe(user.id)
    expect(session.body.status).toBe('active')
    expect(session.body.actor).toEqual({ sub: task.agentId, name: 'accept-agent', agent_task_id: task.agentTaskId })
    expect(session.body.permissions).toEqual(['*'])
    expect(session.body.azp).toBe(APP_ORIGIN)
    expect(session.body.expire_at - session.body.created_at).toBe(900_000)
  })
})

describe('HEAD', () => {
  it('does not consume ticket', async () => {
    const user = await createUser(server)
    const task = await createTask(server, user.id)

    const head = await visit(task.url, {}, 'HEAD')
    expect(head.status).toBe(200)
    expect(head.headers.get('cache-control')).toBe('no-store')
    expect(await head.text()).toBe('')
    expect(await sessionRowsOf(user.id)).toHaveLength(0)

    const get = await visit(task.url)
    expect(get.status).toBe(303)
  })

  it('reports used ticket as unusable', async () => {
    const user = await createUser(server)
    const task = await createTask(server, user.id)
    await acceptTask(task.url)

    const head = await visit(task.url, {}, 'HEAD')
    expect(head.status).toBe(404)
  })
})

describe('failures', () => {
  it('used ticket returns 409', async () => {
    const user = await createUser(server)
    const task = await createTask(server, user.id)
    await acceptTask(task.url)

    const second = await readResponse(await visit(task.url, { Accept: 'application/json' }))
    expect(second.status).toBe(409)
    expect(second.statusText).toBe('Conflict')
    expect(firstError(second).code).toBe('ticket_already_used')
    expect(await sessionRowsOf(user.id)).toHaveLength(1)
  })

  it.each([
    ['well-formed', UNKNOWN_TICKET],
    ['malformed', 'not-a-ticket'],
    ['empty', ''],
  ])('%s unknown ticket returns 404', async (_kind, ticket) => {
    const response = await readResponse(await visit(`${server.url}/agent-tasks/accept?ticket=${ticket}`, { Accept: 'application/json' }))
    expect(response.status).toBe(404)
    expect(firstError(response).code).toBe('ticket_not_found')
  })

  it('renders HTML error by default', async () => {
    const response = await visit(`${server.url}/agent-tasks/accept?ticket=${UNKNOWN_TICKET}`, { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' })
    const html = await response.text()

    expect(response.status).toBe(404)
    expect(response.headers.get('content-type')).toMatch(/^text\/html/)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(response.headers.get('referrer-policy')).toBe('no-referrer')
    expect(html).toContain('ticket_not_found')
    expect(html).toContain('Link not found')
  })

  it('returns JSON error for JSON clients', async () => {
    const response = await readResponse(await visit(`${server.url}/agent-tasks/accept?ticket=${UNKNOWN_TICKET}`, { Accept: 'application/json' }))

    expect(response.headers.get('content-type')).toBe('application/json')
    expect(response.statusText).toBe('Not Found')
    expect(firstError(response).long_message).toEqual(expect.any(String))
    expect(response.body.clerk_trace_id).toMatch(/^trace_/)
  })

  it('ban revokes pending task', async () => {
    const user = await createUser(server)
    const task = await createTask(server, user.id)
    expect((await server.api('POST', `/v1/users/${user.id}/ban`)).status).toBe(200)

    const response = await readResponse(await visit(task.url, { Accept: 'application/json' }))
    expect(response.status).toBe(410)
    expect(firstError(response).code).toBe('ticket_revoked')
    expect(await sessionRowsOf(user.id)).toHaveLength(0)

    expect((await server.api('POST', `/v1/users/${user.id}/unban`)).status).toBe(200)
    const afterUnban = await readResponse(await visit(task.url, { Accept: 'application/json' }))
    expect(afterUnban.status).toBe(410)
  })

  it('banned user gets no session', async () => {
    const user = await createUser(server)
    const task = await createTask(server, user.id)
    // Banned behind the API's back, so the pending task survives and only the accept-time check stands in the way.
    await server.db.updateTable('users').set({ banned: 1 }).where('id', '=', user.id).execute()
    const codesBefore = await countRows(server, 'handoff_codes')

    const response = await readResponse(await visit(task.url, { Accept: 'application/json' }))
    expect(response.status).toBe(403)
    expect(firstError(response).code).toBe('user_unavailable')
    expect(await sessionRowsOf(user.id)).toHaveLength(0)
    expect(await countRows(server, 'handoff_codes')).toBe(codesBefore)

    const details = await server.api('GET', `/v1/agents/tasks/${task.agentTaskId}`)
    expect(details.body.status).toBe('pending')
    expect(details.body.session_id).toBeNull()
  })

  it('deleted user gets no session', async () => {
    const user = await createUser(server)
    const task = await createTask(server, user.id)
    expect((await server.api('DELETE', `/v1/users/${user.id}`)).status).toBe(200)

    const response = await readResponse(await visit(task.url, { Accept: 'application/json' }))
    expect(response.status).toBeGreaterThanOrEqual(400)
    expect(response.status).toBeLessThan(500)
    expect(await sessionRowsOf(user.id)).toHaveLength(0)
  })

  it('rejects redirect removed from allow-list', async () => {
    const user = await createUser(server)
    const task = await createTask(server, user.id, { redirect_url: 'https://app.example.com/home' })
    const allowed = server.config.allowedOrigins
    server.config.allowedOrigins = []
    try {
      const response = await readResponse(await visit(task.url, { Accept: 'application/json' }))
      expect(response.status).toBe(422)
      expect(firstError(response).code).toBe('redirect_url_not_allowed')
    } finally {
      server.config.allowedOrigins = allowed
    }
    expect(await sessionRowsOf(user.id)).toHaveLength(0)
  })
})
