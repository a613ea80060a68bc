import { Hono, type Context } from 'hono'
import { z } from 'zod'

import { ApiError } from '../http/errors.js'
import { parseInput, readJsonObject } from '../http/input.js'
import { assertKnownQueryKeys, queryInteger, queryValues } from '../http/query.js'
import { sendJson } from '../http/respond.js'
import type { AppEnv } from '../http/types.js'
import type { ServiceContext } from '../services/context.js'
import { countUsers, listUsers, USER_ORDER_FIELDS, type UserFilter, type UserOrderField } from '../services/user-list.js'
import {
  createUser,
  deleteUser,
  getWireUser,
  setUserBanned,
  updateUser,
  validateEmail,
  validatePassword,
  validatePhone,
  validateUsername,
} from '../services/users.js'

const name = (field: string) => z.string().max(256, `${field} must be at most 256 characters long`).nullable().optional()
const metadata = z.record(z.string(), z.unknown()).optional()
const oneOrMany = z.union([z.string(), z.array(z.string()).max(20, 'at most 20 values are accepted')]).optional()

const createUserBody = z.strictObject({
  email_address: oneOrMany,
  phone_number: oneOrMany,
  username: z.string().nullable().optional(),
  password: z.string().optional(),
  first_name: name('first_name'),
  last_name: name('last_name'),
  external_id: name('external_id'),
  public_metadata: metadata,
  private_metadata: metadata,
  unsafe_metadata: metadata,
  skip_password_checks: z.boolean().optional(),
  skip_password_requirement: z.boolean().optional(),
})

const updateUserBody = z.strictObject({
  username: z.string().nullable().optional(),
  password: z.string().optional(),
  first_name: name('first_name'),
  last_name: name('last_name'),
  external_id: name('external_id'),
  public_metadata: metadata,
  private_metadata: metadata,
  unsafe_metadata: metadata,
  skip_password_checks: z.boolean().optional(),
})

/**
 * Returns a metadata field as it was parsed from the JSON body. zod validates its shape, but
 * its record output is rebuilt key by key and drops an own `__proto__` key, so the value zod
 * returns is not always the one that was sent.
 */
function sentMetadata(body: Record<string, unknown>, field: 'public_metadata' | 'private_metadata' | 'unsafe_metadata'): unknown {
  return body[field]
}

const asList = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value])

const LIST_KEYS = ['email_address', 'phone_number', 'username', 'user_id', 'external_id', 'query'] as const

function readUserFilter(c: Context): UserFilter {
  return {
    emailAddresses: queryValues(c, 'email_address'),
    phoneNumbers: queryValues(c, 'phone_number'),
    usernames: queryValues(c, 'username'),
    userIds: queryValues(c, 'user_id'),
    externalIds: queryValues(c, 'external_id'),
    query: c.req.query('query') || null,
  }
}

function readOrderBy(c: Context): { orderBy: UserOrderField; descending: boolean } {
  const raw = c.req.query('order_by') || '-created_at'
  const descending = raw.startsWith('-')
  // An unencoded "+" (as in curl 'users?order_by=+first_name') arrives decoded as a space.
  const field = raw.replace(/^[-+ ]/, '')
  if (!(USER_ORDER_FIELDS as string[]).includes(field)) {
    throw new ApiError(422, 'form_param_value_invalid', 'order_by is invalid', `order_by must be one of ${USER_ORDER_FIELDS.join(', ')}, with "-" for descending or "+" for ascending; got ${JSON.stringify(raw)}.`, {
      param_name: 'order_by',
    })
  }
  return { orderBy: field as UserOrderField, descending }
}

/** Reads a username change: undefined leaves it, null clears it, and a string is validated. */
function readUsernameChange(username: string | null | undefined): string | null | undefined {
  if (username === undefined || username === null) return username
  return validateUsername('username', username)
}

/** `/v1/users`: the user resource in the Backend API's wire format. */
export function userRoutes(ctx: ServiceContext) {
  const app = new Hono<AppEnv>()

  app.post('/', async (c) => {
    const sent = await readJsonObject(c)
    const body = parseInput(createUserBody, sent)
    const emailAddresses = asList(body.email_address).map((value, index) => validateEmail(`email_address.${index}`, value))
    const phoneNumbers = asList(body.phone_number).map((value, index) => validatePhone(`phone_number.${index}`, value))
    const username = body.username ? validateUsername('username', body.username) : null

    if (emailAddresses.length === 0 && phoneNumbers.length === 0 && username === null) {
      throw new ApiError(422, 'form_param_missing', 'email_address is missing', 'A user needs at least one identifier: email_address, phone_number or username.', {
        param_name: 'email_address',
      })
    }
    if (body.password !== undefined) validatePassword('password', body.password, body.skip_password_checks === true)

    const user = await createUser(
      ctx,
      {
        emailAddresses,
        phoneNumbers,
        username,
        password: body.password ?? null,
        firstName: body.first_name ?? null,
        lastName: body.last_name ?? null,
        externalId: body.external_id ?? null,
        publicMetadata: sentMetadata(sent, 'public_metadata') ?? {},
        privateMetadata: sentMetadata(sent, 'private_metadata') ?? {},
        unsafeMetadata: sentMetadata(sent, 'unsafe_metadata') ?? {},
        verificationStrategy: 'admin',
      },
      { type: 'secret_key', id: c.get('secretKeyId') },
      c.get('meta'),
    )
    return sendJson(c, user)
  })

  app.get('/', async (c) => {
    assertKnownQueryKeys(c, [...LIST_KEYS, 'limit', 'offset', 'order_by'])
    const users = await listUsers(ctx, readUserFilter(c), {
      limit: queryInteger(c, 'limit', 10, 1, 500),
      offset: queryInteger(c, 'offset', 0, 0, Number.MAX_SAFE_INTEGER),
      ...readOrderBy(c),
    })
    return sendJson(c, users)
  })

  app.get('/count', async (c) => {
    assertKnownQueryKeys(c, LIST_KEYS)
    return sendJson(c, { object: 'total_count', total_count: await countUsers(ctx, readUserFilter(c)) })
  })

  app.get('/:userId', async (c) => sendJson(c, await getWireUser(ctx, c.req.param('userId'))))

  app.patch('/:userId', async (c) => {
    const sent = await readJsonObject(c)
    const body = parseInput(updateUserBody, sent)
    if (body.password !== undefined) validatePassword('password', body.password, body.skip_password_checks === true)
    const user = await updateUser(
      ctx,
      c.req.param('userId'),
      {
        username: readUsernameChange(body.username),
        password: body.password,
        firstName: body.first_name,
        lastName: body.last_name,
        externalId: body.external_id,
        publicMetadata: sentMetadata(sent, 'public_metadata'),
        privateMetadata: sentMetadata(sent, 'private_metadata'),
        unsafeMetadata: sentMetadata(sent, 'unsafe_metadata'),
      },
      c.get('secretKeyId'),
      c.get('meta'),
    )
    return sendJson(c, user)
  })

  app.delete('/:userId', async (c) => {
    const userId = c.req.param('userId')
    await deleteUser(ctx, userId, c.get('secretKeyId'), c.get('meta'))
    return sendJson(c, { object: 'user', id: userId, deleted: true })
  })

  // Ban and unban take no parameters. The body is still parsed, so that a malformed or unexpected
  // one is rejected before the user's state changes, as revoke does.
  app.post('/:userId/ban', async (c) => {
    parseInput(z.strictObject({}), await readJsonObject(c))
    return sendJson(c, await setUserBanned(ctx, c.req.param('userId'), true, c.get('secretKeyId'), c.get('meta')))
  })
  app.post('/:userId/unban', async (c) => {
    parseInput(z.strictObject({}), await readJsonObject(c))
    return sendJson(c, await setUserBanned(ctx, c.req.param('userId'), false, c.get('secretKeyId'), c.get('meta')))
  })

  return app
}
