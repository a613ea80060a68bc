import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'

import { createClient, type BehalfClient } from '../src/client.js'
import { BehalfAPIError, BehalfConfigurationError, BehalfNetworkError } from '../src/errors.js'
import { closedPort, FakeBehalfServer } from './helpers/fake-behalf-server.js'

const SECRET_KEY = 'sk_test_unit_secret_value'

const wireUser = {
  object: 'user',
  id: 'user_1',
  username: 'ada',
  first_name: 'Ada',
  last_name: 'Lovelace',
  external_id: null,
  banned: false,
  password_enabled: true,
  primary_email_address_id: 'idn_2',
  primary_phone_number_id: null,
  email_addresses: [
    { id: 'idn_1', object: 'email_address', email_address: 'old@example.com', verification: null, linked_to: [] },
    {
      id: 'idn_2',
      object: 'email_address',
      email_address: 'ada@example.com',
      verification: { status: 'verified', strategy: 'admin' },
      linked_to: [],
    },
  ],
  phone_numbers: [
    {
      id: 'idn_3',
      object: 'phone_number',
      phone_number: '+15550100',
      verification: { status: 'unverified', strategy: null },
      linked_to: [],
    },
  ],
  public_metadata: { plan_tier: 'pro', nestedValue: { some_key: 1 } },
  private_metadata: {},
  unsafe_metadata: {},
  last_sign_in_at: null,
  created_at: 1_700_000_000_000,
  updated_at: 1_700_000_000_500,
}

const wireSession = {
  object: 'session',
  id: 'sess_1',
  user_id: 'user_1',
  status: 'active',
  actor: { sub: 'agent_1', name: 'my-agent', agent_task_id: 'agt_1' },
  permissions: ['*'],
  azp: 'http://localhost:3000',
  last_active_at: 1_700_000_000_100,
  expire_at: 1_700_001_800_000,
  created_at: 1_700_000_000_000,
  updated_at: 1_700_000_000_100,
}

const wireTaskDetails = {
  object: 'agent_task',
  agent_id: 'agent_1',
  agent_task_id: 'agt_1',
  task_id: 'agt_1',
  agent_name: 'my-agent',
  user_id: 'user_1',
  status: 'accepted',
  permissions: '*',
  task_description: 'Automated test login',
  redirect_url: 'http://localhost:3000/dashboard',
  session_max_duration_in_seconds: 1800,
  session_id: 'sess_1',
  expires_at: 1_700_000_600_000,
  created_at: 1_700_000_000_000,
  updated_at: 1_700_000_000_100,
  accepted_at: 1_700_000_000_100,
  revoked_at: null,
}

let server: FakeBehalfServer
let client: BehalfClient

beforeAll(async () => {
  server = await new FakeBehalfServer().start()
})

afterAll(async () => {
  await server.stop()
})

beforeEach(() => {
  server.requests.length = 0
  server.routes.clear()
  client = createClient({ secretKey: SECRET_KEY, apiUrl: server.url })
})

afterEach(() => {
  vi.unstubAllEnvs()
})

function jsonBody(index = 0): Record<string, unknown> {
  return JSON.parse(server.requests[index]?.body ?? 'null') as Record<string, unknown>
}

describe('createClient', () => {
  it('throws without secret key', () => {
    vi.stubEnv('BEHALF_SECRET_KEY', '')

    expect(() => createClient()).toThrow(BehalfConfigurationError)
    expect(() => createClient()).toThrow(/BEHALF_SECRET_KEY/)
    expect(() => createClient()).toThrow(/behalf keys create/)
    expect(() => createClient()).toThrow(/\.behalf\/secret-key/)
  })

  it('rejects malformed key without echoing', () => {
    let message = ''
    try {
      createClient({ secretKey: 'pk_live_notsecret_but_hidden' })
    } catch (error) {
      message = (error as Error).message
    }

    expect(message).toMatch(/sk_test_/)
    expect(message).not.toContain('pk_live_notsecret_but_hidden')
  })

  it('reads environment defaults', () => {
    vi.stubEnv('BEHALF_SECRET_KEY', SECRET_KEY)
    vi.stubEnv('BEHALF_API_URL', 'http://127.0.0.1:4999/')

    expect(createClient().apiUrl).toBe('http://127.0.0.1:4999')
  })

  it('defaults apiUrl to localhost:4000', () => {
    vi.stubEnv('BEHALF_API_URL', '')

    expect(createClient({ secretKey: SECRET_KEY }).apiUrl).toBe('http://localhost:4000')
  })

  it('rejects invalid apiUrl', () => {
    expect(() => createClient({ secretKey: SECRET_KEY, apiUrl: 'localhost:4000' })).toThrow(/apiUrl/)
    expect(() => createClient({ secretKey: SECRET_KEY, apiUrl: 'ftp://example.com' })).toThrow(/http or https/)
  })
})

describe('agentTasks', () => {
  it('create sends snake_case body', async () => {
    server.on('POST', '/v1/agents/tasks', () => ({
      status: 200,
      body: { object: 'agent_task', agent_id: 'agent_1', agent_task_id: 'agt_1', task_id: 'agt_1', url: 'http://x/accept?ticket=t' },
    }))

    await client.agentTasks.create({
      onBehalfOf: { userId: 'user_1' },
      permissions: '*',
      agentName: 'my-agent',
      taskDescription: 'Automated test login',
      redirectUrl: 'http://localhost:3000/dashboard',
      sessionMaxDurationInSeconds: 900,
      expiresInSeconds: 120,
    })

    expect(jsonBody()).toEqual({
      on_behalf_of: { user_id: 'user_1' },
      permissions: '*',
      agent_name: 'my-agent',
      task_description: 'Automated test login',
      redirect_url: 'http://localhost:3000/dashboard',
      session_max_duration_in_seconds: 900,
      expires_in_seconds: 120,
    })
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${SECRET_KEY}`)
    expect(server.requests[0]?.headers['content-type']).toBe('application/json')
  })

  it('create returns exactly three fields', async () => {
    server.on('POST', '/v1/agents/tasks', () => ({
      status: 200,
      body: { object: 'agent_task', agent_id: 'agent_1', agent_task_id: 'agt_1', task_id: 'agt_1', url: 'http://x/accept?ticket=t' },
    }))

    const agentTask = await client.agentTasks.create({
      onBehalfOf: { identifier: 'test@example.com' },
      permissions: '*',
      agentName: 'my-agent',
      taskDescription: 'Automated test login',
      redirectUrl: 'http://localhost:3000/dashboard',
    })

    expect(agentTask).toStrictEqual({ agentId: 'agent_1', agentTaskId: 'agt_1', url: 'http://x/accept?ticket=t' })
    expect(jsonBody().on_behalf_of).toEqual({ identifier: 'test@example.com' })
    expect(jsonBody()).not.toHaveProperty('session_max_duration_in_seconds')
  })

  it('create rejects ambiguous onBehalfOf', async () => {
    const params = {
      onBehalfOf: { userId: 'user_1', identifier: 'a@example.com' },
      permissions: '*',
      agentName: 'a',
      taskDescription: 'b',
      redirectUrl: 'http://localhost:3000',
    } as never

    await expect(client.agentTasks.create(params)).rejects.toThrow(/exactly one of userId or identifier/)
    expect(server.requests).toHaveLength(0)
  })

  it('revoke posts without body', async () => {
    server.on('POST', '/v1/agents/tasks/agt_1/revoke', () => ({
      status: 200,
      body: { object: 'agent_task', agent_id: 'agent_1', agent_task_id: 'agt_1', task_id: 'agt_1' },
    }))

    const revoked = await client.agentTasks.revoke('agt_1')

    expect(revoked).toStrictEqual({ agentId: 'agent_1', agentTaskId: 'agt_1' })
    expect(server.requests[0]?.body).toBe('')
    expect(server.requests[0]?.headers['content-type']).toBe('application/json')
  })

  it('revoke rejects empty id', async () => {
    await expect(client.agentTasks.revoke('')).rejects.toThrow(TypeError)
    expect(server.requests).toHaveLength(0)
  })

  it('get maps details', async () => {
    server.on('GET', '/v1/agents/tasks/agt_1', () => ({ status: 200, body: wireTaskDetails }))

    const details = await client.agentTasks.get('agt_1')

    expect(details).toStrictEqual({
      agentId: 'agent_1',
      agentTaskId: 'agt_1',
      agentName: 'my-agent',
      userId: 'user_1',
      status: 'accepted',
      permissions: '*',
      taskDescription: 'Automated test login',
      redirectUrl: 'http://localhost:3000/dashboard',
      sessionMaxDurationInSeconds: 1800,
      sessionId: 'sess_1',
      expiresAt: 1_700_000_600_000,
      createdAt: 1_700_000_000_000,
      updatedAt: 1_700_000_000_100,
      acceptedAt: 1_700_000_000_100,
      revokedAt: null,
    })
  })

  it('list sends filters', async () => {
    server.on('GET', '/v1/agents/tasks', () => ({ status: 200, body: { data: [wireTaskDetails], total_count: 7 } }))

    const list = await client.agentTasks.list({ userId: 'user_1', status: 'pending', limit: 5 })

    expect(list.totalCount).toBe(7)
    expect(list.data[0]?.agentTaskId).toBe('agt_1')
    expect(server.requests[0]?.query.get('user_id')).toBe('user_1')
    expect(server.requests[0]?.query.get('status')).toBe('pending')
    expect(server.requests[0]?.query.get('limit')).toBe('5')
    expect(server.requests[0]?.query.has('offset')).toBe(false)
    expect(server.requests[0]?.query.has('agent_id')).toBe(false)
  })
})

describe('users', () => {
  it('maps wire user', async () => {
    server.on('GET', '/v1/users/user_1', () => ({ status: 200, body: wireUser }))

    const user = await client.users.get('user_1')

    expect(user.id).toBe('user_1')
    expect(user.firstName).toBe('Ada')
    expect(user.lastName).toBe('Lovelace')
    expect(user.passwordEnabled).toBe(true)
    expect(user.emailAddresses).toHaveLength(2)
    expect(user.emailAddresses[1]).toStrictEqual({
      id: 'idn_2',
      emailAddress: 'ada@example.com',
      verification: { status: 'verified', strategy: 'admin' },
      linkedTo: [],
    })
    expect(user.primaryEmailAddress?.emailAddress).toBe('ada@example.com')
    expect(user.primaryPhoneNumber).toBeNull()
    expect(user.phoneNumbers[0]?.phoneNumber).toBe('+15550100')
    expect(user.createdAt).toBe(1_700_000_000_000)
    expect(user.lastSignInAt).toBeNull()
  })

  it('keeps metadata keys unconverted', async () => {
    server.on('GET', '/v1/users/user_1', () => ({ status: 200, body: wireUser }))
    server.on('POST', '/v1/users', () => ({ status: 200, body: wireUser }))

    const user = await client.users.get('user_1')
    await client.users.create({ emailAddress: 'ada@example.com', publicMetadata: { camelKey: { snake_key: true } } })

    expect(user.publicMetadata).toStrictEqual({ plan_tier: 'pro', nestedValue: { some_key: 1 } })
    expect(jsonBody(1).public_metadata).toStrictEqual({ camelKey: { snake_key: true } })
  })

  it('create sends Clerk fields', async () => {
    server.on('POST', '/v1/users', () => ({ status: 200, body: wireUser }))

    await client.users.create({
      emailAddress: 'ada@example.com',
      phoneNumber: ['+15550100'],
      username: 'ada',
      password: 'correct horse battery staple',
      firstName: 'Ada',
      lastName: 'Lovelace',
      externalId: 'ext_1',
      skipPasswordChecks: true,
      skipPasswordRequirement: false,
    })

    expect(jsonBody()).toStrictEqual({
      email_address: ['ada@example.com'],
      phone_number: ['+15550100'],
      username: 'ada',
      password: 'correct horse battery staple',
      first_name: 'Ada',
      last_name: 'Lovelace',
      external_id: 'ext_1',
      skip_password_checks: true,
      skip_password_requirement: false,
    })
  })

  it('list repeats filter keys', async () => {
    server.on('GET', '/v1/users', () => ({ status: 200, body: [wireUser] }))

    const users = await client.users.list({
      emailAddress: ['a@example.com', 'b@example.com'],
      userId: 'user_1',
      limit: 10,
      orderBy: '-created_at',
    })

    const query = server.requests[0]?.query
    expect(users[0]?.id).toBe('user_1')
    expect(query?.getAll('email_address')).toEqual(['a@example.com', 'b@example.com'])
    expect(query?.getAll('user_id')).toEqual(['user_1'])
    expect(query?.get('limit')).toBe('10')
    expect(query?.get('order_by')).toBe('-created_at')
    expect(query?.has('offset')).toBe(false)
  })

  it('count returns total_count', async () => {
    server.on('GET', '/v1/users/count', () => ({ status: 200, body: { object: 'total_count', total_count: 3 } }))

    const count = await client.users.count({ username: ['ada', 'bob'] })

    expect(count).toBe(3)
    expect(server.requests[0]?.query.getAll('username')).toEqual(['ada', 'bob'])
  })

  it('update sends only given fields', async () => {
    server.on('PATCH', '/v1/users/user_1', () => ({ status: 200, body: wireUser }))

    await client.users.update('user_1', { firstName: 'Augusta', username: null })

    expect(jsonBody()).toStrictEqual({ first_name: 'Augusta', username: null })
  })

  it('delete returns deleted object', async () => {
    server.on('DELETE', '/v1/users/user_1', () => ({ status: 200, body: { object: 'user', id: 'user_1', deleted: true } }))

    expect(await client.users.delete('user_1')).toStrictEqual({ object: 'user', id: 'user_1', deleted: true })
  })

  it('ban and unban post', async () => {
    server.on('POST', '/v1/users/user_1/ban', () => ({ status: 200, body: { ...wireUser, banned: true } }))
    server.on('POST', '/v1/users/user_1/unban', () => ({ status: 200, body: wireUser }))

    expect((await client.users.ban('user_1')).banned).toBe(true)
    expect((await client.users.unban('user_1')).banned).toBe(false)
  })

  it('encodes ids in paths', async () => {
    server.on('GET', '/v1/users/a%2Fb', () => ({ status: 200, body: wireUser }))

    await client.users.get('a/b')

    expect(server.requests[0]?.path).toBe('/v1/users/a%2Fb')
  })
})

describe('sessions', () => {
  it('maps sessions and actor', async () => {
    server.on('GET', '/v1/sessions', () => ({ status: 200, body: [wireSession] }))

    const sessions = await client.sessions.list({ userId: 'user_1', status: 'active' })

    expect(sessions[0]).toStrictEqual({
      id: 'sess_1',
      userId: 'user_1',
      status: 'active',
      actor: { sub: 'agent_1', name: 'my-agent', agentTaskId: 'agt_1' },
      permissions: ['*'],
      azp: 'http://localhost:3000',
      lastActiveAt: 1_700_000_000_100,
      expireAt: 1_700_001_800_000,
      createdAt: 1_700_000_000_000,
      updatedAt: 1_700_000_000_100,
    })
    expect(server.requests[0]?.query.get('user_id')).toBe('user_1')
    expect(server.requests[0]?.query.get('status')).toBe('active')
  })

  it('list requires userId', async () => {
    await expect(client.sessions.list({ userId: '' })).rejects.toThrow(/userId/)
  })

  it('revoke maps session', async () => {
    server.on('POST', '/v1/sessions/sess_1/revoke', () => ({ status: 200, body: { ...wireSession, status: 'revoked', actor: null } }))

    const session = await client.sessions.revoke('sess_1')

    expect(session.status).toBe('revoked')
    expect(session.actor).toBeNull()
  })

  it('refresh sends token and origin', async () => {
    server.on('POST', '/v1/sessions/refresh', () => ({
      status: 200,
      body: { object: 'session_token', session_id: 'sess_1', session_token: 'jwt' },
    }))

    const refreshed = await client.sessions.refresh({ refreshToken: 'rt_1', origin: 'http://localhost:3000' })

    expect(refreshed).toStrictEqual({ sessionId: 'sess_1', sessionToken: 'jwt' })
    expect(jsonBody()).toStrictEqual({ refresh_token: 'rt_1', origin: 'http://localhost:3000' })
  })
})

describe('handoffs', () => {
  it('exchange maps tokens', async () => {
    server.on('POST', '/v1/handoffs/exchange', () => ({
      status: 200,
      body: { object: 'session_tokens', session_id: 'sess_1', session_token: 'jwt', refresh_token: 'rt_1' },
    }))

    const tokens = await client.handoffs.exchange({ code: 'code_1', origin: 'http://localhost:3000' })

    expect(tokens).toStrictEqual({ sessionId: 'sess_1', sessionToken: 'jwt', refreshToken: 'rt_1' })
    expect(jsonBody()).toStrictEqual({ code: 'code_1', origin: 'http://localhost:3000' })
  })
})

describe('error parsing', () => {
  it('parses API error body', async () => {
    server.on('POST', '/v1/agents/tasks', () => ({
      status: 422,
      body: {
        errors: [
          {
            code: 'form_param_invalid',
            message: 'is invalid',
            long_message: 'redirect_url is not on the allow-list',
            meta: { param_name: 'redirect_url', allowed_origins: ['http://localhost:3000'] },
          },
        ],
        clerk_trace_id: 'trace_123',
      },
    }))

    const error = await client.agentTasks
      .create({
        onBehalfOf: { userId: 'user_1' },
        permissions: '*',
        agentName: 'a',
        taskDescription: 'b',
        redirectUrl: 'http://evil.test',
      })
      .catch((caught: unknown) => caught)

    expect(error).toBeInstanceOf(BehalfAPIError)
    const apiError = error as BehalfAPIError
    expect(apiError.status).toBe(422)
    expect(apiError.traceId).toBe('trace_123')
    expect(apiError.errors).toHaveLength(1)
    expect(apiError.errors[0]?.code).toBe('form_param_invalid')
    expect(apiError.errors[0]?.longMessage).toBe('redirect_url is not on the allow-list')
    expect(apiError.errors[0]?.meta.paramName).toBe('redirect_url')
    expect(apiError.errors[0]?.meta.allowed_origins).toEqual(['http://localhost:3000'])
    expect(apiError.message).toContain('redirect_url is not on the allow-list')
    expect(apiError.code).toBe('ERR_BEHALF_API_RESPONSE')
  })

  it('reads Retry-After of 429', async () => {
    server.on('GET', '/v1/users/user_1', () => ({
      status: 429,
      headers: { 'Retry-After': '12' },
      body: { errors: [{ code: 'too_many_requests', message: 'Too many requests', long_message: null, meta: {} }] },
    }))

    const error = (await client.users.get('user_1').catch((caught: unknown) => caught)) as BehalfAPIError

    expect(error.status).toBe(429)
    expect(error.retryAfter).toBe(12)
    expect(error.errors[0]?.longMessage).toBeNull()
  })

  it('handles non-JSON error body', async () => {
    server.on('GET', '/v1/users/user_1', () => ({ status: 502, body: '<html>Bad gateway</html>' }))

    const error = (await client.users.get('user_1').catch((caught: unknown) => caught)) as BehalfAPIError

    expect(error).toBeInstanceOf(BehalfAPIError)
    expect(error.status).toBe(502)
    expect(error.errors).toEqual([])
    expect(error.traceId).toBeNull()
  })

  it('handles non-JSON success body', async () => {
    server.on('GET', '/v1/users/user_1', () => ({ status: 200, body: 'not json' }))

    await expect(client.users.get('user_1')).rejects.toThrow(/not valid JSON/)
  })

  it('never puts secret key in messages', async () => {
    server.on('GET', '/v1/users/user_1', () => ({
      status: 401,
      body: { errors: [{ code: 'authentication_invalid', message: 'Unauthorized', long_message: 'Unauthorized', meta: {} }] },
    }))

    const error = (await client.users.get('user_1').catch((caught: unknown) => caught)) as Error

    expect(error.message).not.toContain(SECRET_KEY)
    expect(JSON.stringify(error)).not.toContain(SECRET_KEY)
  })
})

describe('network errors', () => {
  it('throws BehalfNetworkError with URL', async () => {
    const apiUrl = `http://127.0.0.1:${await closedPort()}`
    const offline = createClient({ secretKey: SECRET_KEY, apiUrl })

    const error = (await offline.users.get('user_1').catch((caught: unknown) => caught)) as BehalfNetworkError

    expect(error).toBeInstanceOf(BehalfNetworkError)
    expect(error.url).toBe(`${apiUrl}/v1/users/user_1`)
    expect(error.method).toBe('GET')
    expect(error.message).toContain(apiUrl)
    expect(error.message).not.toContain(SECRET_KEY)
    expect(error.message).toContain('BEHALF_API_URL')
  })
})
