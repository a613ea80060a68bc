import type { Selectable } from 'kysely'

import { hashPassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../crypto/passwords.js'
import { newId } from '../crypto/random.js'
import type { IdentifierType, UserIdentifiersTable, UsersTable } from '../db/schema.js'
import { ApiError, invalidParam, notFound } from '../http/errors.js'
import { recordAudit } from './audit.js'
import { type Executor, isUniqueViolation, type RequestMeta, type ServiceContext } from './context.js'
import { revokeUserSessions } from './sessions.js'

export type UserRow = Selectable<UsersTable>
export type IdentifierRow = Selectable<UserIdentifiersTable>

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const PHONE_PATTERN = /^\+[1-9][0-9]{6,14}$/
const USERNAME_PATTERN = /^[a-z0-9][a-z0-9_.-]{2,63}$/

export function normalizeEmail(value: string): string {
  return value.trim().toLowerCase()
}

/** Phone numbers are stored in E.164: `+` and digits, spaces, dashes, dots and brackets removed. */
export function normalizePhone(value: string): string {
  return value.replace(/[\s().-]/g, '')
}

export function validateEmail(paramName: string, raw: string): string {
  const email = normalizeEmail(raw)
  if (email.length > 320 || !EMAIL_PATTERN.test(email)) {
    throw invalidParam(paramName, `${paramName} must be an email address such as ada@example.com; got ${JSON.stringify(raw)}.`)
  }
  return email
}

export function validatePhone(paramName: string, raw: string): string {
  const phone = normalizePhone(raw)
  if (!PHONE_PATTERN.test(phone)) {
    throw invalidParam(paramName, `${paramName} must be a phone number in E.164 form such as +14155550100; got ${JSON.stringify(raw)}.`)
  }
  return phone
}

export function validateUsername(paramName: string, raw: string): string {
  const username = raw.trim().toLowerCase()
  if (!USERNAME_PATTERN.test(username)) {
    throw invalidParam(
      paramName,
      `${paramName} must be 3 to 64 characters of letters, digits, "_", "-" and ".", starting with a letter or digit; got ${JSON.stringify(raw)}.`,
    )
  }
  return username
}

export function validatePassword(paramName: string, password: string, skipChecks: boolean): void {
  if (password.length > PASSWORD_MAX_LENGTH) {
    throw invalidParam(paramName, `${paramName} must be at most ${PASSWORD_MAX_LENGTH} characters long.`)
  }
  if (!skipChecks && password.length < PASSWORD_MIN_LENGTH) {
    throw invalidParam(paramName, `${paramName} must be at least ${PASSWORD_MIN_LENGTH} characters long.`, 'form_password_length_too_short')
  }
}

function identifierExists(paramName: string, value: string): ApiError {
  return new ApiError(
    422,
    'form_identifier_exists',
    'That identifier is taken',
    `${JSON.stringify(value)} already belongs to another user. Use another ${paramName}, or update the existing user.`,
    { param_name: paramName },
  )
}

// ---------------------------------------------------------------------------------------------
// Wire format

export interface WireUser {
  object: 'user'
  id: string
  username: string | null
  first_name: string | null
  last_name: string | null
  external_id: string | null
  banned: boolean
  password_enabled: boolean
  primary_email_address_id: string | null
  primary_phone_number_id: string | null
  email_addresses: unknown[]
  phone_numbers: unknown[]
  public_metadata: unknown
  private_metadata: unknown
  unsafe_metadata: unknown
  last_sign_in_at: number | null
  created_at: number
  updated_at: number
}

function serializeIdentifier(row: IdentifierRow) {
  const verification = { status: row.verified ? 'verified' : 'unverified', strategy: row.verification_strategy, attempts: null, expire_at: null }
  if (row.type === 'email_address') {
    return { id: row.id, object: 'email_address', email_address: row.value, verification, linked_to: [] }
  }
  return { id: row.id, object: 'phone_number', phone_number: row.value, verification, linked_to: [] }
}

export function serializeUser(user: UserRow, identifiers: IdentifierRow[]): WireUser {
  const own = identifiers.filter((identifier) => identifier.user_id === user.id)
  return {
    object: 'user',
    id: user.id,
    username: user.username,
    first_name: user.first_name,
    last_name: user.last_name,
    external_id: user.external_id,
    banned: user.banned === 1,
    password_enabled: user.password_hash !== null,
    primary_email_address_id: user.primary_email_address_id,
    primary_phone_number_id: user.primary_phone_number_id,
    email_addresses: own.filter((row) => row.type === 'email_address').map(serializeIdentifier),
    phone_numbers: own.filter((row) => row.type === 'phone_number').map(serializeIdentifier),
    public_metadata: JSON.parse(user.public_metadata),
    private_metadata: JSON.parse(user.private_metadata),
    unsafe_metadata: JSON.parse(user.unsafe_metadata),
    last_sign_in_at: user.last_sign_in_at,
    created_at: user.created_at,
    updated_at: user.updated_at,
  }
}

export async function loadIdentifiers(db: Executor, userIds: string[]): Promise<IdentifierRow[]> {
  if (userIds.length === 0) return []
  return db.selectFrom('user_identifiers').selectAll().where('user_id', 'in', userIds).orderBy('created_at', 'asc').orderBy('id', 'asc').execute()
}

export async function getUserRow(db: Executor, userId: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst()
}

export async function getWireUser(ctx: ServiceContext, userId: string): Promise<WireUser> {
  const user = await getUserRow(ctx.db, userId)
  if (!user) throw notFound('user', userId)
  return serializeUser(user, await loadIdentifiers(ctx.db, [user.id]))
}

// ---------------------------------------------------------------------------------------------
// Create

export interface NewUser {
  emailAddresses: string[]
  phoneNumbers: string[]
  username: string | null
  password: string | null
  firstName: string | null
  lastName: string | null
  externalId: string | null
  publicMetadata: unknown
  privateMetadata: unknown
  unsafeMetadata: unknown
  /** `admin` for users made through the Backend API (their identifiers count as verified); `null` for self sign-up. */
  verificationStrategy: 'admin' | null
}

/** Creates a user with its identifiers in one transaction; a taken identifier is a 422 naming it. */
export async function createUser(ctx: ServiceContext, input: NewUser, actor: { type: 'secret_key' | 'user'; id: string | null }, meta: RequestMeta | null): Promise<WireUser> {
  const now = Date.now()
  const userId = newId('user')
  const passwordHash = input.password === null ? null : await hashPassword(input.password)

  const identifiers: IdentifierRow[] = [
    ...input.emailAddresses.map((value) => ({ type: 'email_address' as IdentifierType, value })),
    ...input.phoneNumbers.map((value) => ({ type: 'phone_number' as IdentifierType, value })),
  ].map(({ type, value }, index) => ({
    id: newId(type === 'email_address' ? 'idn' : 'phn'),
    user_id: userId,
    type,
    value,
    verified: input.verificationStrategy === 'admin' ? 1 : 0,
    verification_strategy: input.verificationStrategy,
    // Strictly increasing, so the order of the request is the order of the listing.
    created_at: now + index,
  }))

  const duplicate = findDuplicate(identifiers)
  if (duplicate) {
    const paramName = paramForType(duplicate.type)
    throw new ApiError(422, 'form_param_value_invalid', `${paramName} lists a value twice`, `${JSON.stringify(duplicate.value)} appears twice in ${paramName}. List each value once.`, {
      param_name: paramName,
    })
  }

  const user: UserRow = {
    id: userId,
    username: input.username,
    first_name: input.firstName,
    last_name: input.lastName,
    external_id: input.externalId,
    password_hash: passwordHash,
    banned: 0,
    primary_email_address_id: identifiers.find((row) => row.type === 'email_address')?.id ?? null,
    primary_phone_number_id: identifiers.find((row) => row.type === 'phone_number')?.id ?? null,
    public_metadata: JSON.stringify(input.publicMetadata ?? {}),
    private_metadata: JSON.stringify(input.privateMetadata ?? {}),
    unsafe_metadata: JSON.stringify(input.unsafeMetadata ?? {}),
    created_at: now,
    updated_at: now,
    last_sign_in_at: null,
  }

  try {
    await ctx.db.transaction().execute(async (trx) => {
      await trx.insertInto('users').values(user).execute()
      if (identifiers.length > 0) await trx.insertInto('user_identifiers').values(identifiers).execute()
      // Self sign-up records `user.signed_up` with the session it creates, so this event is `user.created` for both paths.
      await recordAudit(trx, { kind: 'user.created', actorType: actor.type, actorId: actor.id ?? userId, userId }, meta)
    })
  } catch (error) {
    if (isUniqueViolation(error)) throw await explainConflict(ctx, input)
    throw error
  }

  ctx.logger.info({ userId, traceId: meta?.traceId }, 'user created')
  return serializeUser(user, identifiers)
}

function paramForType(type: IdentifierType): string {
  return type === 'email_address' ? 'email_address' : 'phone_number'
}

function findDuplicate(identifiers: Array<Pick<IdentifierRow, 'type' | 'value'>>) {
  const seen = new Set<string>()
  for (const identifier of identifiers) {
    const key = `${identifier.type}:${identifier.value}`
    if (seen.has(key)) return identifier
    seen.add(key)
  }
  return null
}

/** After a unique violation, finds which identifier was taken so the error can name it. */
async function explainConflict(ctx: ServiceContext, input: Pick<NewUser, 'emailAddresses' | 'phoneNumbers' | 'username'>): Promise<ApiError> {
  if (input.username !== null) {
    const taken = await ctx.db.selectFrom('users').select('id').where('username', '=', input.username).executeTakeFirst()
    if (taken) return identifierExists('username', input.username)
  }
  for (const [type, values] of [['email_address', input.emailAddresses], ['phone_number', input.phoneNumbers]] as const) {
    for (const value of values) {
      const taken = await ctx.db.selectFrom('user_identifiers').select('id').where('type', '=', type).where('value', '=', value).executeTakeFirst()
      if (taken) return identifierExists(type, value)
    }
  }
  return new ApiError(409, 'conflict', 'The user conflicts with an existing one', 'Another request changed the same user at the same time. Retry the request.')
}

// ---------------------------------------------------------------------------------------------
// Update, delete, ban

export interface UserChanges {
  username?: string | null
  password?: string
  firstName?: string | null
  lastName?: string | null
  externalId?: string | null
  publicMetadata?: unknown
  privateMetadata?: unknown
  unsafeMetadata?: unknown
}

export async function updateUser(ctx: ServiceContext, userId: string, changes: UserChanges, actorId: string, meta: RequestMeta): Promise<WireUser> {
  const existing = await getUserRow(ctx.db, userId)
  if (!existing) throw notFound('user', userId)

  const set: Partial<UserRow> = { updated_at: Date.now() }
  if (changes.username !== undefined) set.username = changes.username
  if (changes.password !== undefined) set.password_hash = await hashPassword(changes.password)
  if (changes.firstName !== undefined) set.first_name = changes.firstName
  if (changes.lastName !== undefined) set.last_name = changes.lastName
  if (changes.externalId !== undefined) set.external_id = changes.externalId
  if (changes.publicMetadata !== undefined) set.public_metadata = JSON.stringify(changes.publicMetadata)
  if (changes.privateMetadata !== undefined) set.private_metadata = JSON.stringify(changes.privateMetadata)
  if (changes.unsafeMetadata !== undefined) set.unsafe_metadata = JSON.stringify(changes.unsafeMetadata)

  try {
    await ctx.db.transaction().execute(async (trx) => {
      await trx.updateTable('users').set(set).where('id', '=', userId).execute()
      const changedFields = Object.entries(changes)
        .filter(([, value]) => value !== undefined)
        .map(([field]) => field)
      await recordAudit(trx, { kind: 'user.updated', actorType: 'secret_key', actorId, userId, details: { fields: changedFields } }, meta)
    })
  } catch (error) {
    if (isUniqueViolation(error) && changes.username) throw identifierExists('username', changes.username)
    throw error
  }
  return getWireUser(ctx, userId)
}

/**
 * Deletes a user. In the same transaction their sessions are revoked and their pending agent
 * tasks revoked, so no path can sign the deleted user in afterwards.
 */
export async function deleteUser(ctx: ServiceContext, userId: string, actorId: string, meta: RequestMeta): Promise<void> {
  const deleted = await ctx.db.transaction().execute(async (trx) => {
    const result = await trx.deleteFrom('users').where('id', '=', userId).executeTakeFirst()
    if (Number(result.numDeletedRows) === 0) return false

    await trx.deleteFrom('user_identifiers').where('user_id', '=', userId).execute()
    await revokeUserSessions(trx, userId, Date.now())
    await trx
      .updateTable('agent_tasks')
      .set({ status: 'revoked', revoked_at: Date.now(), updated_at: Date.now() })
      .where('user_id', '=', userId)
      .where('status', '=', 'pending')
      .execute()
    await recordAudit(trx, { kind: 'user.deleted', actorType: 'secret_key', actorId, userId }, meta)
    return true
  })
  if (!deleted) throw notFound('user', userId)
  ctx.logger.info({ userId, traceId: meta.traceId }, 'user deleted')
}

/** Bans (or unbans) a user; a ban also revokes every active session and pending agent task of theirs. */
export async function setUserBanned(ctx: ServiceContext, userId: string, banned: boolean, actorId: string, meta: RequestMeta): Promise<WireUser> {
  const found = await ctx.db.transaction().execute(async (trx) => {
    const result = await trx.updateTable('users').set({ banned: banned ? 1 : 0, updated_at: Date.now() }).where('id', '=', userId).executeTakeFirst()
    if (Number(result.numUpdatedRows) === 0) return false
    if (banned) {
      await revokeUserSessions(trx, userId, Date.now())
      // A ban also ends the user's unused agent-task links, so unbanning does not revive them.
      await trx
        .updateTable('agent_tasks')
        .set({ status: 'revoked', revoked_at: Date.now(), updated_at: Date.now() })
        .where('user_id', '=', userId)
        .where('status', '=', 'pending')
        .execute()
    }
    await recordAudit(trx, { kind: banned ? 'user.banned' : 'user.unbanned', actorType: 'secret_key', actorId, userId }, meta)
    return true
  })
  if (!found) throw notFound('user', userId)
  return getWireUser(ctx, userId)
}

// ---------------------------------------------------------------------------------------------
// Lookup by identifier

export interface IdentifierMatch {
  userId: string
  verified: boolean
}

/** Finds a user by email address, phone number or username, in that order of interpretation. */
export async function findUserByIdentifier(db: Executor, identifier: string): Promise<IdentifierMatch | null> {
  const trimmed = identifier.trim()
  if (trimmed.includes('@')) return findByIdentifierRow(db, 'email_address', normalizeEmail(trimmed))
  if (trimmed.startsWith('+')) return findByIdentifierRow(db, 'phone_number', normalizePhone(trimmed))

  const user = await db.selectFrom('users').select('id').where('username', '=', trimmed.toLowerCase()).executeTakeFirst()
  // A username is chosen, not delivered to an inbox or phone, so there is nothing to verify.
  return user ? { userId: user.id, verified: true } : null
}

async function findByIdentifierRow(db: Executor, type: IdentifierType, value: string): Promise<IdentifierMatch | null> {
  const row = await db.selectFrom('user_identifiers').select(['user_id', 'verified']).where('type', '=', type).where('value', '=', value).executeTakeFirst()
  return row ? { userId: row.user_id, verified: row.verified === 1 } : null
}
