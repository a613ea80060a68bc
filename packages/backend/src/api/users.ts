import { isRecord, pathSegment, type ApiRequester } from './request.js'

export interface Verification {
  status: string
  strategy: string | null
}

/** Account a contact detail is linked to, such as an OAuth account. */
export interface LinkedIdentification {
  id: string
  type: string
}

export interface EmailAddress {
  id: string
  emailAddress: string
  verification: Verification | null
  linkedTo: LinkedIdentification[]
}

export interface PhoneNumber {
  id: string
  phoneNumber: string
  verification: Verification | null
  linkedTo: LinkedIdentification[]
}

/** Metadata objects are stored and returned exactly as sent, with their keys unconverted. */
export type UserMetadata = Record<string, unknown>

/** A user, with the fields of the Clerk-shaped wire user in camelCase. Timestamps are Unix milliseconds. */
export interface User {
  id: string
  username: string | null
  firstName: string | null
  lastName: string | null
  externalId: string | null
  banned: boolean
  passwordEnabled: boolean
  primaryEmailAddressId: string | null
  primaryPhoneNumberId: string | null
  emailAddresses: EmailAddress[]
  phoneNumbers: PhoneNumber[]
  /** Entry of `emailAddresses` whose id is `primaryEmailAddressId`, or null. */
  primaryEmailAddress: EmailAddress | null
  /** Entry of `phoneNumbers` whose id is `primaryPhoneNumberId`, or null. */
  primaryPhoneNumber: PhoneNumber | null
  publicMetadata: UserMetadata
  privateMetadata: UserMetadata
  unsafeMetadata: UserMetadata
  lastSignInAt: number | null
  createdAt: number
  updatedAt: number
}

export interface CreateUserParams {
  emailAddress?: string | string[]
  phoneNumber?: string | string[]
  username?: string
  password?: string
  firstName?: string
  lastName?: string
  externalId?: string
  publicMetadata?: UserMetadata
  privateMetadata?: UserMetadata
  unsafeMetadata?: UserMetadata
  /** Skips the server's password strength checks. */
  skipPasswordChecks?: boolean
  /** Allows creating a user without a password, for users who only sign in through agent tasks. */
  skipPasswordRequirement?: boolean
}

/** Fields to change. A field left undefined is not sent, and null clears a nullable field. */
export interface UpdateUserParams {
  username?: string | null
  password?: string
  firstName?: string | null
  lastName?: string | null
  externalId?: string | null
  primaryEmailAddressId?: string
  primaryPhoneNumberId?: string
  publicMetadata?: UserMetadata
  privateMetadata?: UserMetadata
  unsafeMetadata?: UserMetadata
  skipPasswordChecks?: boolean
}

/** Filters of `users.list` and `users.count`. An array matches any of its values. */
export interface UserFilterParams {
  emailAddress?: string | string[]
  phoneNumber?: string | string[]
  username?: string | string[]
  userId?: string | string[]
}

export interface ListUsersParams extends UserFilterParams {
  limit?: number
  offset?: number
  /** Sort field with an optional `+` or `-` prefix, such as `-created_at`. */
  orderBy?: string
}

export interface DeletedObject {
  object: string
  id: string
  deleted: true
}

interface WireVerification {
  status: string
  strategy?: string | null
}

interface WireLinkedIdentification {
  id: string
  type: string
}

interface WireEmailAddress {
  id: string
  email_address: string
  verification: WireVerification | null
  linked_to?: WireLinkedIdentification[]
}

interface WirePhoneNumber {
  id: string
  phone_number: string
  verification: WireVerification | null
  linked_to?: WireLinkedIdentification[]
}

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
  email_addresses: WireEmailAddress[]
  phone_numbers: WirePhoneNumber[]
  public_metadata: UserMetadata | null
  private_metadata: UserMetadata | null
  unsafe_metadata: UserMetadata | null
  last_sign_in_at: number | null
  created_at: number
  updated_at: number
}

function fromWireVerification(wire: WireVerification | null | undefined): Verification | null {
  if (!isRecord(wire)) return null
  return { status: wire.status, strategy: wire.strategy ?? null }
}

function fromWireLinkedTo(wire: WireLinkedIdentification[] | undefined): LinkedIdentification[] {
  return (wire ?? []).map((entry) => ({ id: entry.id, type: entry.type }))
}

export function fromWireUser(wire: WireUser): User {
  const emailAddresses = (wire.email_addresses ?? []).map(
    (entry): EmailAddress => ({
      id: entry.id,
      emailAddress: entry.email_address,
      verification: fromWireVerification(entry.verification),
      linkedTo: fromWireLinkedTo(entry.linked_to),
    }),
  )
  const phoneNumbers = (wire.phone_numbers ?? []).map(
    (entry): PhoneNumber => ({
      id: entry.id,
      phoneNumber: entry.phone_number,
      verification: fromWireVerification(entry.verification),
      linkedTo: fromWireLinkedTo(entry.linked_to),
    }),
  )
  const primaryEmailAddressId = wire.primary_email_address_id ?? null
  const primaryPhoneNumberId = wire.primary_phone_number_id ?? null

  return {
    id: wire.id,
    username: wire.username ?? null,
    firstName: wire.first_name ?? null,
    lastName: wire.last_name ?? null,
    externalId: wire.external_id ?? null,
    banned: wire.banned === true,
    passwordEnabled: wire.password_enabled === true,
    primaryEmailAddressId,
    primaryPhoneNumberId,
    emailAddresses,
    phoneNumbers,
    primaryEmailAddress: emailAddresses.find((entry) => entry.id === primaryEmailAddressId) ?? null,
    primaryPhoneNumber: phoneNumbers.find((entry) => entry.id === primaryPhoneNumberId) ?? null,
    publicMetadata: wire.public_metadata ?? {},
    privateMetadata: wire.private_metadata ?? {},
    unsafeMetadata: wire.unsafe_metadata ?? {},
    lastSignInAt: wire.last_sign_in_at ?? null,
    createdAt: wire.created_at,
    updatedAt: wire.updated_at,
  }
}

function toArray(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined
  return Array.isArray(value) ? value : [value]
}

/** Copies each defined field under its wire name, so that undefined means "not sent". */
function assignDefined(target: Record<string, unknown>, wireName: string, value: unknown): void {
  if (value !== undefined) target[wireName] = value
}

export function toWireCreateUser(params: CreateUserParams): Record<string, unknown> {
  const body: Record<string, unknown> = {}
  assignDefined(body, 'email_address', toArray(params.emailAddress))
  assignDefined(body, 'phone_number', toArray(params.phoneNumber))
  assignDefined(body, 'username', params.username)
  assignDefined(body, 'password', params.password)
  assignDefined(body, 'first_name', params.firstName)
  assignDefined(body, 'last_name', params.lastName)
  assignDefined(body, 'external_id', params.externalId)
  assignDefined(body, 'public_metadata', params.publicMetadata)
  assignDefined(body, 'private_metadata', params.privateMetadata)
  assignDefined(body, 'unsafe_metadata', params.unsafeMetadata)
  assignDefined(body, 'skip_password_checks', params.skipPasswordChecks)
  assignDefined(body, 'skip_password_requirement', params.skipPasswordRequirement)
  return body
}

export function toWireUpdateUser(params: UpdateUserParams): Record<string, unknown> {
  const body: Record<string, unknown> = {}
  assignDefined(body, 'username', params.username)
  assignDefined(body, 'password', params.password)
  assignDefined(body, 'first_name', params.firstName)
  assignDefined(body, 'last_name', params.lastName)
  assignDefined(body, 'external_id', params.externalId)
  assignDefined(body, 'primary_email_address_id', params.primaryEmailAddressId)
  assignDefined(body, 'primary_phone_number_id', params.primaryPhoneNumberId)
  assignDefined(body, 'public_metadata', params.publicMetadata)
  assignDefined(body, 'private_metadata', params.privateMetadata)
  assignDefined(body, 'unsafe_metadata', params.unsafeMetadata)
  assignDefined(body, 'skip_password_checks', params.skipPasswordChecks)
  return body
}

export function toWireUserFilters(params: UserFilterParams): Record<string, string[] | undefined> {
  return {
    email_address: toArray(params.emailAddress),
    phone_number: toArray(params.phoneNumber),
    username: toArray(params.username),
    user_id: toArray(params.userId),
  }
}

export interface UsersApi {
  create(params: CreateUserParams): Promise<User>
  get(userId: string): Promise<User>
  list(params?: ListUsersParams): Promise<User[]>
  /** Counts the users that match the same filters as `list`. */
  count(params?: UserFilterParams): Promise<number>
  update(userId: string, params: UpdateUserParams): Promise<User>
  /** Deletes a user. The server ends all of the user's sessions. */
  delete(userId: string): Promise<DeletedObject>
  /** Bans a user. A banned user cannot get a new session through any path. */
  ban(userId: string): Promise<User>
  unban(userId: string): Promise<User>
}

export function createUsersApi(request: ApiRequester): UsersApi {
  const userPath = (userId: string): string => `/v1/users/${pathSegment(userId, 'userId')}`

  return {
    async create(params) {
      const wire = await request<WireUser>({ method: 'POST', path: '/v1/users', body: toWireCreateUser(params) })
      return fromWireUser(wire)
    },

    async get(userId) {
      return fromWireUser(await request<WireUser>({ method: 'GET', path: userPath(userId) }))
    },

    async list(params = {}) {
      const wire = await request<WireUser[]>({
        method: 'GET',
        path: '/v1/users',
        query: {
          ...toWireUserFilters(params),
          limit: params.limit,
          offset: params.offset,
          order_by: params.orderBy,
        },
      })
      return wire.map(fromWireUser)
    },

    async count(params = {}) {
      const wire = await request<{ object: 'total_count'; total_count: number }>({
        method: 'GET',
        path: '/v1/users/count',
        query: toWireUserFilters(params),
      })
      return wire.total_count
    },

    async update(userId, params) {
      const wire = await request<WireUser>({ method: 'PATCH', path: userPath(userId), body: toWireUpdateUser(params) })
      return fromWireUser(wire)
    },

    async delete(userId) {
      const wire = await request<DeletedObject>({ method: 'DELETE', path: userPath(userId) })
      return { object: wire.object, id: wire.id, deleted: true }
    },

    async ban(userId) {
      return fromWireUser(await request<WireUser>({ method: 'POST', path: `${userPath(userId)}/ban` }))
    },

    async unban(userId) {
      return fromWireUser(await request<WireUser>({ method: 'POST', path: `${userPath(userId)}/unban` }))
    },
  }
}
