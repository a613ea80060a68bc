import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { APP_REDIRECT_URL, acceptTask, createTask, createUser, exchangeCode, exchangeOk, handoffCodeOf, refresh, uniqueSuffix, visit } from './support/fixtures.js'
import { signIn, signUp } from './support/forms.js'
import { startTestServer, type TestServer } from './support/server.js'

let server: TestServer

/** Every secret that passed through the server during the flow, by name. */
const secrets = new Map<string, string>()

const PASSWORD = `Pass word ${uniqueSuffix()} with spaces`
const WRONG_PASSWORD = `Wrong ${uniqueSuffix()} password`
const SIGN_UP_PASSWORD = `Sign-up ${uniqueSuffix()} password`

beforeAll(async () => {
  server = await startTestServer({ BEHALF_LOG_LEVEL: 'trace' })
  secrets.set('secret key', server.secretKey)
  secrets.set('password', PASSWORD)
  secrets.set('wrong password', WRONG_PASSWORD)
  secrets.set('sign-up password', SIGN_UP_PASSWORD)

  // Agent flow: create, accept, exchange, refresh, a used ticket, a revoked session.
  const user = await createUser(server, { password: PASSWORD })
  const task = await createTask(server, user.id)
  secrets.set('ticket', task.ticket)
  const code = await acceptTask(task.url)
  secrets.set('agent handoff code', code)
  await visit(task.url)
  const tokens = await exchangeOk(server, code)
  secrets.set('agent session token', tokens.session_token)
  secrets.set('agent refresh token', tokens.refresh_token)
  await exchangeCode(server, code)
  const refreshed = await refresh(server, tokens.refresh_token)
  secrets.set('refreshed session token', refreshed.body.session_token)
  await refresh(server, tokens.refresh_token, 'http://localhost:3999')
  await server.api('POST', `/v1/agents/tasks/${task.agentTaskId}/revoke`)
  await refresh(server, tokens.refresh_token)

  // Person flow: a failed and a successful sign-in, a sign-up.
  const failed = await signIn(server, { email: user.email, password: WRONG_PASSWORD }, APP_REDIRECT_URL)
  expect(failed.status).toBe(401)
  const signedIn = await signIn(server, { email: user.email, password: PASSWORD }, APP_REDIRECT_URL)
  expect(signedIn.status).toBe(303)
  const personCode = handoffCodeOf(signedIn) ?? ''
  secrets.set('person handoff code', personCode)
  const personTokens = await exchangeOk(server, personCode)
  secrets.set('person session token', personTokens.session_token)
  secrets.set('person refresh token', personTokens.refresh_token)

  const signedUp = await signUp(server, { email: `logs-${uniqueSuffix()}@example.com`, password: SIGN_UP_PASSWORD }, APP_REDIRECT_URL)
  secrets.set('sign-up handoff code', handoffCodeOf(signedUp) ?? '')

  // Requests that fail carry secrets too: a wrong key, a malformed body that quotes one.
  const wrongKey = `sk_test_${'W'.repeat(43)}`
  secrets.set('wrong secret key', wrongKey)
  await server.api('GET', '/v1/users', undefined, { authorization: `Bearer ${wrongKey}` })
  await server.api('POST', '/v1/handoffs/exchange', `{"code": "${personCode}", "origin": `)
  await visit(`${server.url}/agent-tasks/accept?ticket=${'Z'.repeat(43)}`)
  secrets.set('unknown ticket', 'Z'.repeat(43))
})

afterAll(async () => {
  await server?.close()
})

describe('captured logs', () => {
  it('are JSON lines', () => {
    expect(server.logLines.length).toBeGreaterThan(15)
    for (const line of server.logLines) expect(() => JSON.parse(line), line).not.toThrow()
  })

  it('record every request', () => {
    const requests = server.logLines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'request completed')
    expect(requests.length).toBeGreaterThan(15)
    expect(requests.map((entry) => entry.path)).toContain('/agent-tasks/accept')
    expect(requests.map((entry) => entry.path)).toContain('/sign-in')
    expect(requests.every((entry) => typeof entry.status === 'number')).toBe(true)
  })

  it('contain no secrets', () => {
    const output = server.logLines.join('\n')
    for (const [name, value] of secrets) {
      expect(value.length, name).toBeGreaterThan(8)
      expect(output.includes(value), `log output contains the ${name}`).toBe(false)
    }
  })

  it('contain no encoded secrets', () => {
    const output = server.logLines.join('\n')
    for (const [name, value] of secrets) {
      expect(output.includes(encodeURIComponent(value)), `log output contains the URL-encoded ${name}`).toBe(false)
      expect(output.includes(value.replace(/ /g, '+')), `log output contains the form-encoded ${name}`).toBe(false)
    }
  })

  it('contain no request failures', () => {
    const errors = server.logLines.map((line) => JSON.parse(line)).filter((entry) => entry.level >= 50)
    expect(errors).toEqual([])
  })
})

describe('audit table', () => {
  it('contains no secrets', async () => {
    const rows = await server.db.selectFrom('audit_events').selectAll().execute()
    const stored = JSON.stringify(rows)
    expect(rows.length).toBeGreaterThan(5)
    for (const [name, value] of secrets) expect(stored.includes(value), `audit_events contains the ${name}`).toBe(false)
  })
})
