import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createUser, firstError, uniqueSuffix } from './support/fixtures.js'
import { startTestServer, type TestServer } from './support/server.js'

let server: TestServer

beforeAll(async () => {
  server = await startTestServer()
})

afterAll(async () => {
  await server?.close()
})

const METADATA = {
  plan: 'pro',
  snake_case_key: { nested_value: 1, deeperList: [{ camelCase: true, snake_case: null }] },
  camelCaseKey: { innerSnake_key: 'x', 'key with spaces': 'y' },
  unicode: 'Zoë 山田 🎉',
}

describe('create', () => {
  it('stores every field', async () => {
    const suffix = uniqueSuffix()
    const before = Date.now()
    const response = await server.api('POST', '/v1/users', {
      email_address: [`Ada.${suffix}@Example.com`, `second-${suffix}@example.com`],
      phone_number: ['+1 (415) 555-0100'.replace('0100', suffix.slice(0, 4).replace(/[a-f]/g, '7'))],
      username: `Ada_${suffix}`,
      password: 'correct horse battery',
      first_name: 'Ada',
      last_name: 'Lovelace',
      external_id: `ext-${suffix}`,
      public_metadata: METADATA,
      private_metadata: { secretPlan: 'x', nested: { a_b: [1, 2] } },
      unsafe_metadata: { theme: 'dark' },
    })

    expect(response.status, response.text).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json')
    const user = response.body
    expect(user.object).toBe('user')
    expect(user.id).toMatch(/^user_/)
    expect(user.username).toBe(`ada_${suffix}`)
    expect(user.first_name).toBe('Ada')
    expect(user.last_name).toBe('Lovelace')
    expect(user.external_id).toBe(`ext-${suffix}`)
    expect(user.banned).toBe(false)
    expect(user.password_enabled).toBe(true)
    expect(user).not.toHaveProperty('password')
    expect(response.text).not.toContain('correct horse battery')
    expect(user.public_metadata).toEqual(METADATA)
    expect(user.private_metadata).toEqual({ secretPlan: 'x', nested: { a_b: [1, 2] } })
    expect(user.unsafe_metadata).toEqual({ theme: 'dark' })
    expect(user.last_sign_in_at).toBeNull()
    expect(user.created_at).toBeGreaterThanOrEqual(before)
    expect(user.updated_at).toBe(user.created_at)

    expect(user.email_addresses).toHaveLength(2)
    expect(user.email_addresses[0]).toEqual({
      id: user.primary_email_address_id,
      object: 'email_address',
      email_address: `ada.${suffix}@example.com`,
      verification: expect.objectContaining({ status: 'verified', strategy: 'admin' }),
      linked_to: [],
    })
    expect(user.email_addresses[1].email_address).toBe(`second-${suffix}@example.com`)
    expect(user.phone_numbers).toHaveLength(1)
    expect(user.phone_numbers[0]).toMatchObject({ id: user.primary_phone_number_id, object: 'phone_number', linked_to: [] })
    expect(user.phone_numbers[0].phone_number).toMatch(/^\+1415555[0-9]{4}$/)
  })

  it('stores metadata byte-exact', async () => {
    const user = await createUser(server, { public_metadata: METADATA })
    const row = await server.db.selectFrom('users').select('public_metadata').where('id', '=', user.id).executeTakeFirstOrThrow()
    expect(row.public_metadata).toBe(JSON.stringify(METADATA))

    const fetched = await server.api('GET', `/v1/users/${user.id}`)
    expect(fetched.body.public_metadata).toEqual(METADATA)
  })

  it('keeps __proto__ metadata key', async () => {
    // Written as JSON text: in an object literal "__proto__" would set the prototype instead of a key.
    const metadataJson = '{"__proto__":{"isAdmin":true},"nested":{"__proto__":{"x":1}},"plain":1}'
    const body = `{"email_address":["proto-${uniqueSuffix()}@example.com"],"public_metadata":${metadataJson}}`
    const created = await server.api('POST', '/v1/users', body)
    expect(created.status).toBe(200)

    const row = await server.db.selectFrom('users').select('public_metadata').where('id', '=', created.body.id).executeTakeFirstOrThrow()
    expect(row.public_metadata).toBe(metadataJson)
    expect(created.text).toContain(`"public_metadata":${metadataJson}`)

    const patched = await server.api('PATCH', `/v1/users/${created.body.id}`, `{"unsafe_metadata":${metadataJson}}`)
    expect(patched.text).toContain(`"unsafe_metadata":${metadataJson}`)
  })

  it('accepts a single email string', async () => {
    const email = `single-${uniqueSuffix()}@example.com`
    const response = await server.api('POST', '/v1/users', { email_address: email })
    expect(response.status).toBe(200)
    expect(response.body.email_addresses[0].email_address).toBe(email)
    expect(response.body.password_enabled).toBe(false)
  })

  it('duplicate email returns 422', async () => {
    const user = await createUser(server)
    const response = await server.api('POST', '/v1/users', { email_address: [user.email.toUpperCase()] })

    expect(response.status).toBe(422)
    expect(response.statusText).toBe('Unprocessable Entity')
    expect(firstError(response).code).toBe('form_identifier_exists')
    expect(firstError(response).meta.param_name).toBe('email_address')
  })

  it('duplicate username returns 422', async () => {
    const user = await createUser(server)
    const response = await server.api('POST', '/v1/users', { username: user.username })

    expect(response.status).toBe(422)
    expect(firstError(response).code).toBe('form_identifier_exists')
    expect(firstError(response).meta.param_name).toBe('username')
  })

  it('duplicate phone returns 422', async () => {
    const user = await createUser(server)
    const response = await server.api('POST', '/v1/users', { phone_number: [user.phone] })

    expect(response.status).toBe(422)
    expect(firstError(response).code).toBe('form_identifier_exists')
    expect(firstError(response).meta.param_name).toBe('phone_number')
  })
})

describe('get', () => {
  it('returns created user', async () => {
    const user = await createUser(server, { first_name: 'Grace' })
    const response = await server.api('GET', `/v1/users/${user.id}`)

    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(response.body.id).toBe(user.id)
    expect(response.body.first_name).toBe('Grace')
  })

  it('unknown user returns 404', async () => {
    const response = await server.api('GET', '/v1/users/user_doesnotexist')
    expect(response.status).toBe(404)
    expect(response.statusText).toBe('Not Found')
    expect(firstError(response).code).toBe('resource_not_found')
  })
})

describe('list and count', () => {
  it('filters by repeated email_address', async () => {
    const first = await createUser(server)
    const second = await createUser(server)
    await createUser(server)

    const query = `email_address=${encodeURIComponent(first.email)}&email_address=${encodeURIComponent(second.email.toUpperCase())}`
    const response = await server.api('GET', `/v1/users?${query}`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(Array.isArray(response.body)).toBe(true)
    expect(response.body.map((user: { id: string }) => user.id).sort()).toEqual([first.id, second.id].sort())

    const count = await server.api('GET', `/v1/users/count?${query}`)
    expect(count.body).toEqual({ object: 'total_count', total_count: 2 })
  })

  it('filters by username', async () => {
    const user = await createUser(server)
    await createUser(server)
    const response = await server.api('GET', `/v1/users?username=${user.username}`)

    expect(response.body.map((entry: { id: string }) => entry.id)).toEqual([user.id])
    const count = await server.api('GET', `/v1/users/count?username=${user.username}`)
    expect(count.body.total_count).toBe(1)
  })

  it('filters by phone_number', async () => {
    const user = await createUser(server)
    const response = await server.api('GET', `/v1/users?phone_number=${encodeURIComponent(user.phone)}`)
    expect(response.body.map((entry: { id: string }) => entry.id)).toEqual([user.id])
  })

  it('combines filters with AND', async () => {
    const first = await createUser(server)
    const second = await createUser(server)
    const response = await server.api('GET', `/v1/users?user_id=${first.id}&username=${second.username}`)
    expect(response.body).toEqual([])
    const count = await server.api('GET', `/v1/users/count?user_id=${first.id}&username=${second.username}`)
    expect(count.body.total_count).toBe(0)
  })

  it('pages and orders by user_id set', async () => {
    const names = ['Carol', 'Alice', 'Bob']
    const users = []
    for (const name of names) users.push(await createUser(server, { first_name: name }))
    // Users created within one millisecond would tie on created_at, so the test spaces them out.
    for (const [index, user] of users.entries()) {
      await server.db.updateTable('users').set({ created_at: 1_700_000_000_000 + index * 1000 }).where('id', '=', user.id).execute()
    }
    const ids = users.map((user) => `user_id=${user.id}`).join('&')
    const firstNames = (body: Array<{ first_name: string }>) => body.map((user) => user.first_name)

    const byDefault = await server.api('GET', `/v1/users?${ids}`)
    expect(firstNames(byDefault.body)).toEqual(['Bob', 'Alice', 'Carol'])

    const ascending = await server.api('GET', `/v1/users?${ids}&order_by=${encodeURIComponent('+first_name')}`)
    expect(firstNames(ascending.body)).toEqual(['Alice', 'Bob', 'Carol'])

    const descending = await server.api('GET', `/v1/users?${ids}&order_by=-first_name`)
    expect(firstNames(descending.body)).toEqual(['Carol', 'Bob', 'Alice'])

    const bare = await server.api('GET', `/v1/users?${ids}&order_by=first_name`)
    expect(firstNames(bare.body)).toEqual(['Alice', 'Bob', 'Carol'])

    const page = await server.api('GET', `/v1/users?${ids}&order_by=first_name&limit=1&offset=1`)
    expect(firstNames(page.body)).toEqual(['Bob'])

    const count = await server.api('GET', `/v1/users/count?${ids}`)
    expect(count.body.total_count).toBe(3)
  })

  it('accepts unencoded plus in order_by', async () => {
    const user = await createUser(server)
    // curl users write ?order_by=+first_name, which a query string decodes to " first_name".
    const response = await server.api('GET', `/v1/users?user_id=${user.id}&order_by=+first_name`)
    expect(response.status, response.text).toBe(200)
  })

  it('treats empty values as absent', async () => {
    const user = await createUser(server)
    const response = await server.api('GET', `/v1/users?user_id=${user.id}&limit=&offset=&email_address=`)
    expect(response.status).toBe(200)
    expect(response.body).toHaveLength(1)
  })
})

describe('update', () => {
  it('PATCH changes given fields only', async () => {
    const user = await createUser(server, { first_name: 'Ada', last_name: 'Lovelace', public_metadata: { keep: 'no' } })
    const response = await server.api('PATCH', `/v1/users/${user.id}`, {
      first_name: 'Augusta',
      public_metadata: METADATA,
      unsafe_metadata: { nested_key: { innerCamel: 1 } },
    })

    expect(response.status).toBe(200)
    expect(response.body.first_name).toBe('Augusta')
    expect(response.body.last_name).toBe('Lovelace')
    expect(response.body.public_metadata).toEqual(METADATA)
    expect(response.body.unsafe_metadata).toEqual({ nested_key: { innerCamel: 1 } })
    expect(response.body.updated_at).toBeGreaterThanOrEqual(response.body.created_at)
  })

  it('PATCH clears field with null', async () => {
    const user = await createUser(server, { last_name: 'Lovelace' })
    const response = await server.api('PATCH', `/v1/users/${user.id}`, { last_name: null })
    expect(response.body.last_name).toBeNull()
  })

  it('PATCH password enables password', async () => {
    const user = await createUser(server)
    const response = await server.api('PATCH', `/v1/users/${user.id}`, { password: 'a new long password' })
    expect(response.status).toBe(200)
    expect(response.body.password_enabled).toBe(true)
  })

  it('PATCH taken username returns 422', async () => {
    const first = await createUser(server)
    const second = await createUser(server)
    const response = await server.api('PATCH', `/v1/users/${second.id}`, { username: first.username })

    expect(response.status).toBe(422)
    expect(firstError(response).code).toBe('form_identifier_exists')
    expect(firstError(response).meta.param_name).toBe('username')
  })

  it('audits changed fields only', async () => {
    const user = await createUser(server)
    await server.api('PATCH', `/v1/users/${user.id}`, { first_name: 'Changed' })
    const event = await server.db.selectFrom('audit_events').selectAll().where('user_id', '=', user.id).where('kind', '=', 'user.updated').executeTakeFirstOrThrow()
    expect(JSON.parse(event.details)).toEqual({ fields: ['firstName'] })
  })
})

describe('delete', () => {
  it('returns deleted object', async () => {
    const user = await createUser(server)
    const response = await server.api('DELETE', `/v1/users/${user.id}`)

    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(response.body).toEqual({ object: 'user', id: user.id, deleted: true })
    expect((await server.api('GET', `/v1/users/${user.id}`)).status).toBe(404)
  })

  it('frees identifiers for reuse', async () => {
    const user = await createUser(server)
    await server.api('DELETE', `/v1/users/${user.id}`)
    const again = await server.api('POST', '/v1/users', { email_address: [user.email], username: user.username })
    expect(again.status).toBe(200)
  })

  it('unknown user returns 404', async () => {
    const response = await server.api('DELETE', '/v1/users/user_doesnotexist')
    expect(response.status).toBe(404)
  })
})

describe('ban', () => {
  it('ban and unban toggle banned', async () => {
    const user = await createUser(server)

    const banned = await server.api('POST', `/v1/users/${user.id}/ban`)
    expect(banned.status).toBe(200)
    expect(banned.body.object).toBe('user')
    expect(banned.body.banned).toBe(true)

    const unbanned = await server.api('POST', `/v1/users/${user.id}/unban`)
    expect(unbanned.status).toBe(200)
    expect(unbanned.body.banned).toBe(false)
  })

  it('unknown user returns 404', async () => {
    expect((await server.api('POST', '/v1/users/user_doesnotexist/ban')).status).toBe(404)
    expect((await server.api('POST', '/v1/users/user_doesnotexist/unban')).status).toBe(404)
  })
})
