import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { sha256Hex } from '../src/crypto/random.js'
import {
  acceptTask,
  agentSession,
  APP_ORIGIN,
  createTask,
  createUser,
  exchangeCode,
  exchangeOk,
  firstError,
  refresh,
} from './support/fixtures.js'
import { startTestServer, type TestServer } from './support/server.js'

let server: TestServer

beforeAll(async () => {
  server = await startTestServer()
})

afterAll(async () => {
  await server?.close()
})

describe('exchange', () => {
  it('returns session tokens once', async () => {
    const user = await createUser(server)
    const task = await createTask(server, user.id)
    const code = await acceptTask(task.url)

    const first = await exchangeCode(server, code)
    expect(first.status).toBe(200)
    expect(first.headers.get('content-type')).toBe('application/json')
    expect(first.body.object).toBe('session_tokens')
    expect(first.body.session_id).toMatch(/^sess_/)
    expect(first.body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(decodeJwt(first.body.session_token).sid).toBe(first.body.session_id)

    const second = await exchangeCode(server, code)
    expect(second.status).toBe(400)
    expect(firstError(second).code).toBe('handoff_code_invalid')
    expect(firstError(second).meta.param_name).toBe('code')
  })

  it('wrong origin burns code', async () => {
    const user = await createUser(server)
    const task = await createTask(server, user.id)
    const code = await acceptTask(task.url)

    const wrong = await exchangeCode(server, code, 'http://localhost:3001')
    expect(wrong.status).toBe(400)
    expect(firstError(wrong).code).toBe('handoff_code_invalid')

    const right = await exchangeCode(server, code, APP_ORIGIN)
    expect(right.status).toBe(400)
    expect(firstError(right).code).toBe('handoff_code_invalid')
  })

  it('expired code is rejected', async () => {
    const { tokens } = await agentSession(server)
    const code = 'expired-handoff-code-for-the-test-0000000000'
    await server.db
      .insertInto('handoff_codes')
      .values({ code_hash: sha256Hex(code), session_id: tokens.session_id, origin: APP_ORIGIN, expires_at: Date.now() - 1000, used_at: null, created_at: Date.now() - 61_000 })
      .execute()

    const response = await exchangeCode(server, code)
    expect(response.status).toBe(400)
    expect(firstError(response).code).toBe('handoff_code_invalid')
  })

  it('unknown code is rejected', async () => {
    const response = await exchangeCode(server, 'no-such-code')
    expect(response.status).toBe(400)
    expect(firstError(response).code).toBe('handoff_code_invalid')
  })

  it('revoked session code is rejected', async () => {
    const user = await createUser(server)
    const task = await createTask(server, user.id)
    const code = await acceptTask(task.url)
    await server.api('POST', `/v1/agents/tasks/${task.agentTaskId}/revoke`)

    const response = await exchangeCode(server, code)
    expect(response.status).toBe(410)
    expect(firstError(response).code).toBe('session_revoked')
  })
})

describe('refresh', () => {
  it('issues new session token', async () => {
    const { tokens } = await agentSession(server)
    const response = await refresh(server, tokens.refresh_token)

    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(response.body.object).toBe('session_token')
    expect(response.body.session_id).toBe(tokens.session_id)
    const claims = decodeJwt(response.body.session_token)
    expect(claims.sid).toBe(tokens.session_id)
    expect(claims.exp).toBeGreaterThan(Date.now() / 1000)
  })

  it('fails after session revoke', async () => {
    const { tokens } = await agentSession(server)
    expect((await server.api('POST', `/v1/sessions/${tokens.session_id}/revoke`)).status).toBe(200)

    const response = await refresh(server, tokens.refresh_token)
    expect(response.status).toBe(410)
    expect(firstError(response).code).toBe('session_revoked')
  })

  it('fails after task revoke', async () => {
    const { task, tokens } = await agentSession(server)
    await server.api('POST', `/v1/agents/tasks/${task.agentTaskId}/revoke`)

    const response = await refresh(server, tokens.refresh_token)
    expect(response.status).toBe(410)
    expect(firstError(response).code).toBe('session_revoked')
  })

  it('wrong origin returns 404', async () => {
    const { tokens } = await agentSession(server)
    const response = await refresh(server, tokens.refresh_token, 'http://localhost:3001')

    expect(response.status).toBe(404)
    expect(firstError(response).code).toBe('refresh_token_invalid')
  })

  it('unknown token returns 404', async () => {
    const response = await refresh(server, 'no-such-refresh-token')
    expect(response.status).toBe(404)
    expect(firstError(response).code).toBe('refresh_token_invalid')
  })

  it('banned user gets 403', async () => {
    const { user, tokens } = await agentSession(server)
    expect((await server.api('POST', `/v1/users/${user.id}/ban`)).status).toBe(200)

    const response = await refresh(server, tokens.refresh_token)
    expect(response.status).toBe(403)
    expect(firstError(response).code).toBe('user_banned')
  })

  it('unban does not revive session', async () => {
    const { user, tokens } = await agentSession(server)
    await server.api('POST', `/v1/users/${user.id}/ban`)
    await server.api('POST', `/v1/users/${user.id}/unban`)

    const response = await refresh(server, tokens.refresh_token)
    expect(response.status).toBe(410)
    expect(firstError(response).code).toBe('session_revoked')
  })

  it('fails after user delete', async () => {
    const { user, tokens } = await agentSession(server)
    expect((await server.api('DELETE', `/v1/users/${user.id}`)).status).toBe(200)

    const session = await server.api('GET', `/v1/sessions/${tokens.session_id}`)
    expect(session.body.status).toBe('revoked')
    const response = await refresh(server, tokens.refresh_token)
    expect(response.status).toBe(410)
    expect(firstError(response).code).toBe('user_not_found')
  })

  it('fails after session end', async () => {
    const { tokens } = await agentSession(server)
    await server.db.updateTable('sessions').set({ expires_at: Date.now() - 1 }).where('id', '=', tokens.session_id).execute()

    const response = await refresh(server, tokens.refresh_token)
    expect(response.status).toBe(410)
    expect(firstError(response).code).toBe('session_expired')
    const session = await server.api('GET', `/v1/sessions/${tokens.session_id}`)
    expect(session.body.status).toBe('expired')
  })

  it('token never outlives session', async () => {
    const { tokens } = await agentSession(server)
    const sessionEnd = Date.now() + 10_000
    await server.db.updateTable('sessions').set({ expires_at: sessionEnd }).where('id', '=', tokens.session_id).execute()

    const response = await refresh(server, tokens.refresh_token)
    expect(decodeJwt(response.body.session_token).exp).toBe(Math.floor(sessionEnd / 1000))
  })
})

describe('exchange after accept', () => {
  it('is bound to accepting session', async () => {
    const user = await createUser(server)
    const first = await createTask(server, user.id)
    const second = await createTask(server, user.id)
    const firstTokens = await exchangeOk(server, await acceptTask(first.url))
    const secondTokens = await exchangeOk(server, await acceptTask(second.url))

    expect(firstTokens.session_id).not.toBe(secondTokens.session_id)
    expect(firstTokens.refresh_token).not.toBe(secondTokens.refresh_token)
  })
})
