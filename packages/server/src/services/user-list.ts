import type { ServiceContext } from './context.js'
import { normalizeEmail, normalizePhone, loadIdentifiers, serializeUser } from './users.js'

export interface UserFilter {
  emailAddresses: string[]
  phoneNumbers: string[]
  usernames: string[]
  userIds: string[]
  externalIds: string[]
  /** Case-insensitive substring of an email address, phone number, username or name. */
  query: string | null
}

export type UserOrderField = 'created_at' | 'updated_at' | 'last_sign_in_at' | 'username' | 'first_name' | 'last_name'

export const USER_ORDER_FIELDS: UserOrderField[] = ['created_at', 'updated_at', 'last_sign_in_at', 'username', 'first_name', 'last_name']

/** Filters combine with AND across keys and OR within one key, as repeated query keys do in the Backend API. */
function filteredUsers(ctx: ServiceContext, filter: UserFilter) {
  let query = ctx.db.selectFrom('users')
  if (filter.userIds.length > 0) query = query.where('users.id', 'in', filter.userIds)
  if (filter.usernames.length > 0) query = query.where('users.username', 'in', filter.usernames.map((name) => name.trim().toLowerCase()))
  if (filter.externalIds.length > 0) query = query.where('users.external_id', 'in', filter.externalIds)

  for (const [type, values] of [
    ['email_address', filter.emailAddresses.map(normalizeEmail)],
    ['phone_number', filter.phoneNumbers.map(normalizePhone)],
  ] as const) {
    if (values.length === 0) continue
    query = query.where('users.id', 'in', (eb) =>
      eb.selectFrom('user_identifiers').select('user_identifiers.user_id').where('user_identifiers.type', '=', type).where('user_identifiers.value', 'in', values),
    )
  }

  if (filter.query) {
    // NOTE: "%" and "_" in the query act as LIKE wildcards; escaping differs between SQLite and PostgreSQL.
    const pattern = `%${filter.query.toLowerCase()}%`
    query = query.where((eb) =>
      eb.or([
        eb(eb.fn('lower', ['users.username']), 'like', pattern),
        eb(eb.fn('lower', ['users.first_name']), 'like', pattern),
        eb(eb.fn('lower', ['users.last_name']), 'like', pattern),
        eb('users.id', 'in', eb.selectFrom('user_identifiers').select('user_identifiers.user_id').where('user_identifiers.value', 'like', pattern)),
      ]),
    )
  }
  return query
}

export async function listUsers(ctx: ServiceContext, filter: UserFilter, page: { limit: number; offset: number; orderBy: UserOrderField; descending: boolean }) {
  const users = await filteredUsers(ctx, filter)
    .selectAll('users')
    .orderBy(`users.${page.orderBy}`, page.descending ? 'desc' : 'asc')
    .orderBy('users.id', 'asc')
    .limit(page.limit)
    .offset(page.offset)
    .execute()
  const identifiers = await loadIdentifiers(
    ctx.db,
    users.map((user) => user.id),
  )
  return users.map((user) => serializeUser(user, identifiers))
}

export async function countUsers(ctx: ServiceContext, filter: UserFilter): Promise<number> {
  const row = await filteredUsers(ctx, filter)
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow()
  return Number(row.count)
}
