import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { acceptTask, APP_REDIRECT_URL, countWrites, createTask, createUser, firstError, handoffCodeOf, uniqueSuffix, type CreatedUser } from './support/fixtures.js'
import { signUp } from './support/forms.js'
import { readResponse, startTestServer, type ApiResponse, type TestServer } from './support/server.js'

let server: TestServer
let user: CreatedUser
let bannedUser: CreatedUser
let deletedUser: CreatedUser
let unverifiedEmail: string
let pendingTaskId: string
let activeSessionId: string

beforeAll(async () => {
  // The allow-list is https://app.example.com; development mode also allows any localhost port.
  server = await startTestServer()
  user = await createUser(server)
  bannedUser = await createUser(server)
  deletedUser = await createUser(server)
  expect((await server.api('POST', `/v1/users/${bannedUser.id}/ban`)).status).toBe(200)
  expect((await server.api('DELETE', `/v1/users/${deletedUser.id}`)).status).toBe(200)

  unverifiedEmail = `self-signup-${uniqueSuffix()}@example.com`
  const signedUp = await signUp(server, { email: unverifiedEmail, password: 'correct horse battery' }, APP_REDIRECT_URL)
  expect(signedUp.status).toBe(303)
  expect(handoffCodeOf(signedUp)).not.toBeNull()

  pendingTaskId = (await createTask(server, user.id)).agentTaskId
  const accepted = await createTask(server, user.id)
  await acceptTask(accepted.url)
  activeSessionId = (await server.api('GET', `/v1/agents/tasks/${accepted.agentTaskId}`)).body.session_id
})

afterAll(async () => {
  await server?.close()
})

interface Expected {
  status: number
  code?: string
  param?: string
}

/** Sends a request that must be rejected, and checks the status, the error and that no table gained a row. */
async function expectRejected(send: () => Promise<ApiResponse>, expected: Expected): Promise<ApiResponse> {
  const before = await countWrites(server)
  const response = await send()

  expect(response.status, response.text).toBe(expected.status)
  expect(response.headers.get('content-type')).toBe('application/json')
  expect(response.body.clerk_trace_id).toMatch(/^trace_/)
  if (expected.code !== undefined) expect(firstError(response).code).toBe(expected.code)
  if (expected.param !== undefined) expect(firstError(response).meta.param_name).toBe(expected.param)
  expect(await countWrites(server)).toEqual(before)
  return response
}

/** Sends `bytes` of JSON-looking body in chunks without Content-Length (Transfer-Encoding: chunked). */
async function sendChunked(method: string, path: string, bytes: number): Promise<ApiResponse> {
  const chunk = new TextEncoder().encode('x'.repeat(16 * 1024))
  let sent = 0
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent === 0) controller.enqueue(new TextEncoder().encode('{"first_name":"'))
      if (sent >= bytes) {
        controller.enqueue(new TextEncoder().encode('"}'))
        controller.close()
        return
      }
      controller.enqueue(chunk)
      sent += chunk.byteLength
    },
  })
  const init = {
    method,
    headers: { Authorization: `Bearer ${server.secretKey}`, 'Content-Type': 'application/json' },
    body,
    duplex: 'half',
  }
  return readResponse(await fetch(`${server.url}${path}`, init as RequestInit))
}

function taskBody(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    on_behalf_of: { user_id: user.id },
    permissions: '*',
    agent_name: 'bad-input-agent',
    task_description: 'Automated test login',
    redirect_url: 'https://app.example.com/dashboard',
    ...fields,
  }
}

function without(body: Record<string, unknown>, field: string): Record<string, unknown> {
  const copy = { ...body }
  delete copy[field]
  return copy
}

const createTaskRequest = (body: unknown) => () => server.api('POST', '/v1/agents/tasks', body)

describe('POST /v1/agents/tasks fields', () => {
  it.each(['on_behalf_of', 'permissions', 'agent_name', 'task_description', 'redirect_url'])('missing %s returns 422', async (field) => {
    await expectRejected(createTaskRequest(without(taskBody(), field)), { status: 422, code: 'form_param_missing', param: field })
  })

  it('empty body returns 422', async () => {
    await expectRejected(() => server.api('POST', '/v1/agents/tasks', ''), { status: 422, code: 'form_param_missing', param: 'on_behalf_of' })
  })

  it('unknown field returns 422', async () => {
    await expectRejected(createTaskRequest(taskBody({ priority: 'high' })), { status: 422, code: 'form_param_unknown', param: 'priority' })
  })

  it('camelCase field returns 422', async () => {
    await expectRejected(createTaskRequest(taskBody({ agentName: 'x' })), { status: 422, code: 'form_param_unknown', param: 'agentName' })
  })

  it('unknown nested field returns 422', async () => {
    const body = taskBody({ on_behalf_of: { user_id: user.id, email: user.email } })
    await expectRejected(createTaskRequest(body), { status: 422, code: 'form_param_unknown', param: 'on_behalf_of.email' })
  })

  it.each([
    ['agent_name', 42, 'agent_name'],
    ['task_description', ['a'], 'task_description'],
    ['redirect_url', { href: 'https://app.example.com' }, 'redirect_url'],
    ['on_behalf_of', 'user_123', 'on_behalf_of'],
    ['on_behalf_of', null, 'on_behalf_of'],
    ['on_behalf_of', { user_id: 12 }, 'on_behalf_of.user_id'],
    ['on_behalf_of', { identifier: true }, 'on_behalf_of.identifier'],
    ['permissions', ['*'], 'permissions'],
    ['expires_in_seconds', '60', 'expires_in_seconds'],
  ])('%s of wrong type returns 422', async (field, value, param) => {
    await expectRejected(createTaskRequest(taskBody({ [field]: value })), { status: 422, code: 'form_param_format_invalid', param })
  })

  it('user_id and identifier returns 422', async () => {
    const body = taskBody({ on_behalf_of: { user_id: user.id, identifier: user.email } })
    await expectRejected(createTaskRequest(body), { status: 422, param: 'on_behalf_of' })
  })

  it('neither user_id nor identifier returns 422', async () => {
    await expectRejected(createTaskRequest(taskBody({ on_behalf_of: {} })), { status: 422, param: 'on_behalf_of' })
  })

  it.each([
    ['empty user_id', { user_id: '' }, 'on_behalf_of.user_id'],
    ['empty identifier', { identifier: '' }, 'on_behalf_of.identifier'],
  ])('%s returns 422', async (_name, onBehalfOf, param) => {
    await expectRejected(createTaskRequest(taskBody({ on_behalf_of: onBehalfOf })), { status: 422, param })
  })

  it.each(['read', '', '**', 'admin *'])('permissions %j returns 422', async (permissions) => {
    await expectRejected(createTaskRequest(taskBody({ permissions })), { status: 422, code: 'form_param_value_invalid', param: 'permissions' })
  })

  it.each([
    ['empty', ''],
    ['blank', '   '],
    ['control character', 'agent\u0000name'],
    ['newline', 'agent\nname'],
    ['over 128 characters', 'a'.repeat(129)],
  ])('agent_name %s returns 422', async (_name, agentName) => {
    await expectRejected(createTaskRequest(taskBody({ agent_name: agentName })), { status: 422, param: 'agent_name' })
  })

  it('task_description over 1000 characters returns 422', async () => {
    await expectRejected(createTaskRequest(taskBody({ task_description: 'd'.repeat(1001) })), { status: 422, param: 'task_description' })
  })
})

describe('POST /v1/agents/tasks redirect_url', () => {
  it.each([
    ['relative path', '/dashboard'],
    ['javascript URL', 'javascript:alert(1)'],
    ['data URL', 'data:text/html,x'],
    ['protocol-relative URL', '//evil.example'],
    ['scheme without slashes', 'https:evil.example'],
    ['scheme with one slash', 'https:/evil.example'],
    ['slash-backslash', '/\\evil.example'],
    ['scheme and backslashes', 'https:\\\\evil.example'],
    ['slash and backslash after scheme', 'https:/\\evil.example'],
    ['userinfo', 'https://good.example@evil.example'],
    ['allowed origin as userinfo', 'https://app.example.com@evil.example'],
    ['backslash before at sign', 'https://app.example.com\\@evil.example'],
    ['encoded slash before at sign', 'https://app.example.com%2F@evil.example'],
    ['IDN homograph', 'https://exаmple.com'],
    ['IDN homograph of allowed host', 'https://аpp.example.com/dashboard'],
    ['leading space', ' https://app.example.com/dashboard'],
    ['embedded tab', 'https://app.exa\tmple.com/'],
    ['ftp scheme', 'ftp://app.example.com/'],
    ['file scheme', 'file:///etc/passwd'],
    ['over 2048 characters', `https://app.example.com/${'a'.repeat(2048)}`],
    ['allowed origin, protocol-relative path', 'https://app.example.com//evil.example/login'],
    ['port 0', 'http://localhost:0/'],
    ['trailing space', 'http://localhost:3000/ '],
  ])('%s returns 422', async (_name, redirectUrl) => {
    const response = await expectRejected(createTaskRequest(taskBody({ redirect_url: redirectUrl })), { status: 422, param: 'redirect_url' })
    expect(firstError(response).code).toBe('redirect_url_invalid')
  })

  it.each([
    ['origin not on allow-list', 'https://evil.example/dashboard'],
    ['allowed host as subdomain', 'https://app.example.com.evil.example/'],
    ['allowed host with other port', 'https://app.example.com:8443/'],
    ['allowed host over http', 'http://app.example.com/'],
    ['sibling subdomain', 'https://evil.example.com/'],
  ])('%s returns 422', async (_name, redirectUrl) => {
    const response = await expectRejected(createTaskRequest(taskBody({ redirect_url: redirectUrl })), { status: 422, param: 'redirect_url' })
    expect(firstError(response).code).toBe('redirect_url_not_allowed')
  })
})

describe('POST /v1/agents/tasks durations', () => {
  // zod reports a fractional number as a type error (expected int), hence format_invalid for 1.5.
  it.each([
    ['zero', 0, 'form_param_value_invalid'],
    ['negative', -1, 'form_param_value_invalid'],
    ['fractional', 1.5, 'form_param_format_invalid'],
    ['10^12', 1e12, 'form_param_value_invalid'],
    ['over 7 days', 7 * 24 * 3600 + 1, 'form_param_value_invalid'],
    ['string', '60', 'form_param_format_invalid'],
    ['null', null, 'form_param_format_invalid'],
    ['boolean', true, 'form_param_format_invalid'],
  ])('session_max_duration_in_seconds %s returns 422', async (_name, value, code) => {
    await expectRejected(createTaskRequest(taskBody({ session_max_duration_in_seconds: value })), {
      status: 422,
      code,
      param: 'session_max_duration_in_seconds',
    })
  })

  it.each([0, -5, 2.5])('expires_in_seconds %s returns 422', async (value) => {
    await expectRejected(createTaskRequest(taskBody({ expires_in_seconds: value })), { status: 422, param: 'expires_in_seconds' })
  })
})

describe('POST /v1/agents/tasks users', () => {
  it('unknown user_id returns 404', async () => {
    const body = taskBody({ on_behalf_of: { user_id: 'user_doesnotexist' } })
    await expectRejected(createTaskRequest(body), { status: 404, code: 'resource_not_found', param: 'on_behalf_of.user_id' })
  })

  it('unknown identifier returns 404', async () => {
    const body = taskBody({ on_behalf_of: { identifier: 'nobody@example.com' } })
    await expectRejected(createTaskRequest(body), { status: 404, code: 'resource_not_found', param: 'on_behalf_of.identifier' })
  })

  it('banned user returns 403', async () => {
    const body = taskBody({ on_behalf_of: { user_id: bannedUser.id } })
    await expectRejected(createTaskRequest(body), { status: 403, code: 'user_banned', param: 'on_behalf_of.user_id' })
  })

  it('banned user by identifier returns 403', async () => {
    const body = taskBody({ on_behalf_of: { identifier: bannedUser.email } })
    await expectRejected(createTaskRequest(body), { status: 403, code: 'user_banned', param: 'on_behalf_of.identifier' })
  })

  it('deleted user returns 404', async () => {
    const body = taskBody({ on_behalf_of: { user_id: deletedUser.id } })
    await expectRejected(createTaskRequest(body), { status: 404, code: 'resource_not_found', param: 'on_behalf_of.user_id' })
  })

  it('deleted user identifier returns 404', async () => {
    const body = taskBody({ on_behalf_of: { identifier: deletedUser.email } })
    await expectRejected(createTaskRequest(body), { status: 404, param: 'on_behalf_of.identifier' })
  })

  it('unverified identifier returns 422', async () => {
    const body = taskBody({ on_behalf_of: { identifier: unverifiedEmail } })
    await expectRejected(createTaskRequest(body), { status: 422, code: 'identifier_not_verified', param: 'on_behalf_of.identifier' })
  })
})

/** Every Backend API endpoint that reads a JSON body, with a path that exists. */
const BODY_ENDPOINTS: Array<[string, string, () => string]> = [
  ['POST', '/v1/agents/tasks', () => '/v1/agents/tasks'],
  ['POST', '/v1/agents/tasks/{id}/revoke', () => `/v1/agents/tasks/${pendingTaskId}/revoke`],
  ['POST', '/v1/users', () => '/v1/users'],
  ['PATCH', '/v1/users/{id}', () => `/v1/users/${user.id}`],
  ['POST', '/v1/users/{id}/ban', () => `/v1/users/${user.id}/ban`],
  ['POST', '/v1/users/{id}/unban', () => `/v1/users/${user.id}/unban`],
  ['POST', '/v1/sessions/{id}/revoke', () => `/v1/sessions/${activeSessionId}/revoke`],
  ['POST', '/v1/sessions/refresh', () => '/v1/sessions/refresh'],
  ['POST', '/v1/handoffs/exchange', () => '/v1/handoffs/exchange'],
]

/** Returns a body that the endpoint accepts, so that a test can break exactly one thing in it. */
function validBodyFor(template: string): Record<string, unknown> {
  switch (template) {
    case '/v1/agents/tasks':
      return taskBody()
    case '/v1/users':
      return { email_address: [`valid-${uniqueSuffix()}@example.com`] }
    case '/v1/sessions/refresh':
      return { refresh_token: 'unknown-token', origin: 'http://localhost:3000' }
    case '/v1/handoffs/exchange':
      return { code: 'unknown-code', origin: 'http://localhost:3000' }
    default:
      return {}
  }
}

/** Checks that the rejected request left the pending task, the active session and the user as they were. */
async function expectTargetsUnchanged(): Promise<void> {
  expect((await server.api('GET', `/v1/agents/tasks/${pendingTaskId}`)).body.status).toBe('pending')
  expect((await server.api('GET', `/v1/sessions/${activeSessionId}`)).body.status).toBe('active')
  expect((await server.api('GET', `/v1/users/${user.id}`)).body.banned).toBe(false)
}

describe('body shape', () => {
  it.each(BODY_ENDPOINTS)('%s %s malformed JSON returns 400', async (method, _template, path) => {
    await expectRejected(() => server.api(method, path(), '{"first_name": "Ada",'), { status: 400, code: 'malformed_request' })
    await expectTargetsUnchanged()
  })

  it.each(BODY_ENDPOINTS)('%s %s JSON array returns 400', async (method, _template, path) => {
    await expectRejected(() => server.api(method, path(), '[{"first_name": "Ada"}]'), { status: 400, code: 'malformed_request' })
    await expectTargetsUnchanged()
  })

  it.each(BODY_ENDPOINTS)('%s %s JSON string returns 400', async (method, _template, path) => {
    await expectRejected(() => server.api(method, path(), '"hello"'), { status: 400, code: 'malformed_request' })
  })

  it.each(BODY_ENDPOINTS)('%s %s body over 100 KB returns 413', async (method, _template, path) => {
    const body = JSON.stringify({ first_name: 'x'.repeat(101 * 1024) })
    await expectRejected(() => server.api(method, path(), body), { status: 413, code: 'request_body_too_large' })
    await expectTargetsUnchanged()
  })

  it.each(BODY_ENDPOINTS)('%s %s chunked body over 100 KB returns 413', async (method, _template, path) => {
    await expectRejected(() => sendChunked(method, path(), 150 * 1024), { status: 413, code: 'request_body_too_large' })
    await expectTargetsUnchanged()
  })

  it.each(BODY_ENDPOINTS)('%s %s unknown field returns 422', async (method, template, path) => {
    const body = { ...validBodyFor(template), surname: 'x' }
    await expectRejected(() => server.api(method, path(), body), { status: 422, code: 'form_param_unknown', param: 'surname' })
    await expectTargetsUnchanged()
  })

  it('body of exactly 100 KB is read', async () => {
    const prefix = '{"first_name":"'
    const body = `${prefix}${'x'.repeat(100 * 1024 - prefix.length - 2)}"}`
    expect(Buffer.byteLength(body)).toBe(100 * 1024)
    // Parsed, then rejected for the name's length: the size limit itself let it through.
    await expectRejected(() => server.api('PATCH', `/v1/users/${user.id}`, body), { status: 422, param: 'first_name' })
  })
})

describe('GET /v1/agents/tasks query', () => {
  it.each([
    ['unknown key', 'agent_name=x', 'agent_name', 'query_param_unknown'],
    ['bad status', 'status=done', 'status', 'form_param_value_invalid'],
    ['limit 0', 'limit=0', 'limit', 'form_param_value_invalid'],
    ['limit 501', 'limit=501', 'limit', 'form_param_value_invalid'],
    ['limit text', 'limit=ten', 'limit', 'form_param_value_invalid'],
    ['limit fraction', 'limit=1.5', 'limit', 'form_param_value_invalid'],
    ['negative offset', 'offset=-1', 'offset', 'form_param_value_invalid'],
  ])('%s returns 422', async (_name, query, param, code) => {
    await expectRejected(() => server.api('GET', `/v1/agents/tasks?${query}`), { status: 422, code, param })
  })
})

describe('POST /v1/users body', () => {
  const createUserRequest = (body: unknown) => () => server.api('POST', '/v1/users', body)

  it('no identifier returns 422', async () => {
    await expectRejected(createUserRequest({ first_name: 'Ada' }), { status: 422, code: 'form_param_missing', param: 'email_address' })
  })

  it.each([
    ['email_address number', { email_address: 5 }, 'email_address', 'form_param_value_invalid'],
    ['email_address list with number', { email_address: [5] }, 'email_address', 'form_param_value_invalid'],
    ['invalid email', { email_address: ['not-an-email'] }, 'email_address.0', 'form_param_value_invalid'],
    ['second invalid email', { email_address: ['ok@example.com', 'a@b'] }, 'email_address.1', 'form_param_value_invalid'],
    ['invalid phone', { phone_number: ['12345'] }, 'phone_number.0', 'form_param_value_invalid'],
    ['short username', { username: 'ab' }, 'username', 'form_param_value_invalid'],
    ['username with space', { username: 'ada lovelace' }, 'username', 'form_param_value_invalid'],
    ['unicode username', { username: 'zoë_smith' }, 'username', 'form_param_value_invalid'],
    ['username number', { username: 7 }, 'username', 'form_param_format_invalid'],
    ['short password', { email_address: ['pw@example.com'], password: 'short' }, 'password', 'form_password_length_too_short'],
    ['password over 256', { email_address: ['pw@example.com'], password: 'p'.repeat(257) }, 'password', 'form_param_value_invalid'],
    ['metadata array', { email_address: ['md@example.com'], public_metadata: [1, 2] }, 'public_metadata', 'form_param_format_invalid'],
    ['metadata string', { email_address: ['md@example.com'], private_metadata: '{}' }, 'private_metadata', 'form_param_format_invalid'],
    ['first_name number', { email_address: ['fn@example.com'], first_name: 5 }, 'first_name', 'form_param_format_invalid'],
    ['first_name over 256', { email_address: ['fn@example.com'], first_name: 'f'.repeat(257) }, 'first_name', 'form_param_value_invalid'],
    ['skip_password_checks string', { email_address: ['sp@example.com'], skip_password_checks: 'yes' }, 'skip_password_checks', 'form_param_format_invalid'],
    ['21 email addresses', { email_address: Array.from({ length: 21 }, (_, index) => `many${index}@example.com`) }, 'email_address', 'form_param_value_invalid'],
  ])('%s returns 422', async (_name, body, param, code) => {
    // A value of the wrong type inside a union is reported by zod as invalid_union, hence value_invalid above.
    const response = await expectRejected(createUserRequest(body), { status: 422, param })
    expect(firstError(response).code).toBe(code)
  })

  it('repeated email in request returns 422', async () => {
    const body = { email_address: ['twice@example.com', 'TWICE@example.com'] }
    await expectRejected(createUserRequest(body), { status: 422, code: 'form_param_value_invalid', param: 'email_address' })
  })

  it('taken email returns 422', async () => {
    await expectRejected(createUserRequest({ email_address: [user.email] }), { status: 422, code: 'form_identifier_exists', param: 'email_address' })
  })
})

describe('GET /v1/users query', () => {
  it.each([
    ['unknown key', 'email=a@example.com', 'email', 'query_param_unknown'],
    ['camelCase key', 'emailAddress=a@example.com', 'emailAddress', 'query_param_unknown'],
    ['limit 0', 'limit=0', 'limit', 'form_param_value_invalid'],
    ['limit 501', 'limit=501', 'limit', 'form_param_value_invalid'],
    ['limit text', 'limit=all', 'limit', 'form_param_value_invalid'],
    ['negative offset', 'offset=-10', 'offset', 'form_param_value_invalid'],
    ['order_by unknown field', 'order_by=password_hash', 'order_by', 'form_param_value_invalid'],
    ['order_by double sign', 'order_by=--created_at', 'order_by', 'form_param_value_invalid'],
  ])('%s returns 422', async (_name, query, param, code) => {
    await expectRejected(() => server.api('GET', `/v1/users?${query}`), { status: 422, code, param })
  })

  it.each(['limit=10', 'offset=0', 'order_by=-created_at', 'foo=1'])('count rejects %s', async (query) => {
    await expectRejected(() => server.api('GET', `/v1/users/count?${query}`), { status: 422, code: 'query_param_unknown' })
  })
})

describe('PATCH /v1/users/{id} body', () => {
  it.each([
    ['first_name number', { first_name: 5 }, 'first_name'],
    ['short password', { password: 'short' }, 'password'],
    ['invalid username', { username: 'no spaces allowed' }, 'username'],
    ['metadata array', { public_metadata: ['a'] }, 'public_metadata'],
    ['email_address', { email_address: ['new@example.com'] }, 'email_address'],
  ])('%s returns 422', async (_name, body, param) => {
    const before = (await server.api('GET', `/v1/users/${user.id}`)).body
    await expectRejected(() => server.api('PATCH', `/v1/users/${user.id}`, body), { status: 422, param })
    expect((await server.api('GET', `/v1/users/${user.id}`)).body).toEqual(before)
  })

  it('unknown user returns 404', async () => {
    await expectRejected(() => server.api('PATCH', '/v1/users/user_doesnotexist', { first_name: 'X' }), { status: 404, code: 'resource_not_found' })
  })

  it('ban of unknown user returns 404', async () => {
    await expectRejected(() => server.api('POST', '/v1/users/user_doesnotexist/ban'), { status: 404, code: 'resource_not_found' })
  })

  it('delete of unknown user returns 404', async () => {
    await expectRejected(() => server.api('DELETE', '/v1/users/user_doesnotexist'), { status: 404, code: 'resource_not_found' })
  })
})

describe('sessions and handoffs', () => {
  it.each([
    ['unknown key', 'client_id=x', 'client_id', 'query_param_unknown'],
    ['bad status', 'status=ended', 'status', 'form_param_value_invalid'],
    ['limit text', 'limit=many', 'limit', 'form_param_value_invalid'],
  ])('GET /v1/sessions %s returns 422', async (_name, query, param, code) => {
    await expectRejected(() => server.api('GET', `/v1/sessions?${query}`), { status: 422, code, param })
  })

  it('revoke of unknown session returns 404', async () => {
    await expectRejected(() => server.api('POST', '/v1/sessions/sess_doesnotexist/revoke'), { status: 404, code: 'resource_not_found' })
  })

  it.each([
    ['missing refresh_token', { origin: 'http://localhost:3000' }, 'refresh_token', 'form_param_missing'],
    ['missing origin', { refresh_token: 'abc' }, 'origin', 'form_param_missing'],
    ['empty refresh_token', { refresh_token: '', origin: 'http://localhost:3000' }, 'refresh_token', 'form_param_value_invalid'],
    ['refresh_token number', { refresh_token: 1, origin: 'http://localhost:3000' }, 'refresh_token', 'form_param_format_invalid'],
    ['origin with path', { refresh_token: 'abc', origin: 'http://localhost:3000/app' }, 'origin', 'form_param_value_invalid'],
    ['origin with trailing slash', { refresh_token: 'abc', origin: 'http://localhost:3000/' }, 'origin', 'form_param_value_invalid'],
    ['origin not a URL', { refresh_token: 'abc', origin: 'localhost' }, 'origin', 'form_param_value_invalid'],
  ])('refresh %s returns 422', async (_name, body, param, code) => {
    await expectRejected(() => server.api('POST', '/v1/sessions/refresh', body), { status: 422, code, param })
  })

  it('refresh of unknown token returns 404', async () => {
    const body = { refresh_token: 'unknown-token', origin: 'http://localhost:3000' }
    await expectRejected(() => server.api('POST', '/v1/sessions/refresh', body), { status: 404, code: 'refresh_token_invalid', param: 'refresh_token' })
  })

  it.each([
    ['missing code', { origin: 'http://localhost:3000' }, 'code', 'form_param_missing'],
    ['missing origin', { code: 'abc' }, 'origin', 'form_param_missing'],
    ['code number', { code: 123, origin: 'http://localhost:3000' }, 'code', 'form_param_format_invalid'],
    ['code over 256', { code: 'c'.repeat(257), origin: 'http://localhost:3000' }, 'code', 'form_param_value_invalid'],
    ['origin with path', { code: 'abc', origin: 'http://localhost:3000/cb' }, 'origin', 'form_param_value_invalid'],
  ])('exchange %s returns 422', async (_name, body, param, code) => {
    await expectRejected(() => server.api('POST', '/v1/handoffs/exchange', body), { status: 422, code, param })
  })

  it('exchange of unknown code returns 400', async () => {
    const body = { code: 'unknown-code', origin: 'http://localhost:3000' }
    await expectRejected(() => server.api('POST', '/v1/handoffs/exchange', body), { status: 400, code: 'handoff_code_invalid', param: 'code' })
  })
})

describe('unicode', () => {
  it('agent and task names round-trip', async () => {
    const agentName = `агент 🤖 ${uniqueSuffix()} عامل`
    const description = 'Vérifier les factures — 請求書を確認 ✅'
    const created = await server.api('POST', '/v1/agents/tasks', taskBody({ agent_name: agentName, task_description: description }))
    expect(created.status, created.text).toBe(200)

    const details = await server.api('GET', `/v1/agents/tasks/${created.body.agent_task_id}`)
    expect(details.body.agent_name).toBe(agentName)
    expect(details.body.task_description).toBe(description)
  })

  it('user names round-trip', async () => {
    const created = await createUser(server, { first_name: 'Zoë 山田', last_name: "O'Brien-Łukasz 🎉" })
    const fetched = await server.api('GET', `/v1/users/${created.id}`)
    expect(fetched.body.first_name).toBe('Zoë 山田')
    expect(fetched.body.last_name).toBe("O'Brien-Łukasz 🎉")
  })

  it.each([
    ['lone surrogate', '"\\ud800"'],
    ['NUL character', '"a\\u0000b"'],
    ['right-to-left override', '"\\u202eevil"'],
  ])('first_name with %s is not a 5xx', async (_name, jsonValue) => {
    const response = await server.api('POST', '/v1/users', `{"email_address":["u-${uniqueSuffix()}@example.com"],"first_name":${jsonValue}}`)
    expect(response.status).toBeLessThan(500)
  })

  it('invalid UTF-8 body is not a 5xx', async () => {
    const bytes = Buffer.concat([Buffer.from('{"email_address":["bytes@example.com"],"first_name":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')])
    const response = await fetch(`${server.url}/v1/users`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${server.secretKey}`, 'Content-Type': 'application/json' },
      body: bytes,
    })
    expect(response.status).toBeLessThan(500)
  })
})

describe('camelCase body', () => {
  it('names the unknown key first', async () => {
    await expectRejected(
      () =>
        server.api('POST', '/v1/agents/tasks', {
          onBehalfOf: { userId: user.id },
          permissions: '*',
          agentName: 'camel',
          taskDescription: 'camel case',
          redirectUrl: APP_REDIRECT_URL,
        }),
      { status: 422, code: 'form_param_unknown', param: 'onBehalfOf' },
    )
  })
})

describe('NUL character', () => {
  it('in a path returns 400', async () => {
    await expectRejected(() => server.api('GET', '/v1/users/user_%00'), { status: 400, code: 'malformed_request' })
  })

  it('in a query returns 400', async () => {
    await expectRejected(() => server.api('GET', '/v1/users?email_address=a%00b@example.com'), { status: 400, code: 'malformed_request' })
  })

  it('in a metadata key returns 422', async () => {
    await expectRejected(() => server.api('POST', '/v1/users', '{"email_address":["nul-key@example.com"],"public_metadata":{"a\\u0000b":1}}'), {
      status: 422,
      param: 'public_metadata.a\u0000b',
    })
  })
})

describe('deep nesting', () => {
  it('metadata over 32 levels returns 422', async () => {
    const deep = `{"email_address":["deep@example.com"],"public_metadata":${'{"a":'.repeat(6000)}1${'}'.repeat(6000)}}`
    const response = await expectRejected(() => server.api('POST', '/v1/users', deep), { status: 422 })
    expect(String(firstError(response).meta.param_name)).toMatch(/^public_metadata\.a\.a/)
  })

  it('unknown deep key returns 4xx', async () => {
    const deep = `{"nested":${'['.repeat(5000)}1${']'.repeat(5000)}}`
    const response = await server.api('POST', '/v1/agents/tasks', deep)
    expect(response.status).toBeGreaterThanOrEqual(400)
    expect(response.status).toBeLessThan(500)
  })

  it('duplicate email in one request names it', async () => {
    const response = await expectRejected(() => server.api('POST', '/v1/users', { email_address: ['twice@example.com', 'TWICE@example.com'] }), {
      status: 422,
      param: 'email_address',
    })
    expect(firstError(response).long_message).toContain('appears twice')
  })
})
