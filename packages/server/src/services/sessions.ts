import type { Insertable, Selectable } from 'kysely'

import { newId, newSecretToken, sha256Hex } from '../crypto/random.js'
import type { HandoffCodesTable, SessionsTable } from '../db/schema.js'
import { ApiError, notFound } from '../http/errors.js'
import { recordAudit } from './audit.js'
import type { Executor, RequestMeta, ServiceContext } from './context.js'

export type SessionRow = Selectable<SessionsTable>

/** A handoff code is exchanged by the app's middleware right after the redirect; a minute covers a slow network. */
export const HANDOFF_CODE_TTL_MS = 60_000

/** Lifetime of a person's session from the hosted sign-in and sign-up pages. */
export const PERSON_SESSION_MAX_DURATION_SECONDS = 7 * 24 * 3600

export const HANDOFF_QUERY_PARAMETER = '__behalf_handoff'

export interface SessionActor {
  agentId: string
  agentName: string
  agentTaskId: string
}

export interface NewSession {
  userId: string
  actor: SessionActor | null
  permissions: string[]
  /** Origin the session is handed to; the `azp` claim of its tokens. */
  azp: string
  maxDurationSeconds: number
}

/** Inserts an active session and returns its id; callers run it inside the transaction that justifies the session. */
export async function insertSession(db: Executor, input: NewSession, now: number, sessionId = newId('sess')): Promise<string> {
  await db.insertInto('sessions').values(newSessionRow(input, now, sessionId)).execute()
  return sessionId
}

/** Returns the row of a new active session, for callers that insert it in a statement of their own. */
export function newSessionRow(input: NewSession, now: number, sessionId: string): Insertable<SessionsTable> {
  return {
    id: sessionId,
    user_id: input.userId,
    status: 'active',
    actor_agent_id: input.actor?.agentId ?? null,
    actor_name: input.actor?.agentName ?? null,
    actor_agent_task_id: input.actor?.agentTaskId ?? null,
    permissions: JSON.stringify(input.permissions),
    azp: input.azp,
    refresh_token_hash: null,
    expires_at: now + input.maxDurationSeconds * 1000,
    last_active_at: now,
    created_at: now,
    updated_at: now,
    revoked_at: null,
  }
}

/** Creates a single-use handoff code for a session and returns the code; only its hash is stored. */
export async function insertHandoffCode(db: Executor, sessionId: string, origin: string, now: number): Promise<string> {
  const { code, row } = newHandoffCode(sessionId, origin, now)
  await db.insertInto('handoff_codes').values(row).execute()
  return code
}

/** Returns a new handoff code and the row that stores only its hash, for callers that insert the row themselves. */
export function newHandoffCode(sessionId: string, origin: string, now: number): { code: string; row: Insertable<HandoffCodesTable> } {
  const code = newSecretToken()
  return { code, row: { code_hash: sha256Hex(code), session_id: sessionId, origin, expires_at: now + HANDOFF_CODE_TTL_MS, used_at: null, created_at: now } }
}

export async function revokeUserSessions(db: Executor, userId: string, now: number): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ status: 'revoked', revoked_at: now, updated_at: now })
    .where('user_id', '=', userId)
    .where('status', '=', 'active')
    .execute()
}

// ---------------------------------------------------------------------------------------------
// Wire format

/** Stored status plus time: an active session past its end is reported as `expired`. */
export function effectiveSessionStatus(row: SessionRow, now = Date.now()): 'active' | 'revoked' | 'expired' {
  if (row.status === 'revoked') return 'revoked'
  return row.expires_at <= now ? 'expired' : 'active'
}

export function serializeSession(row: SessionRow) {
  return {
    object: 'session',
    id: row.id,
    user_id: row.user_id,
    client_id: null,
    status: effectiveSessionStatus(row),
    actor: row.actor_agent_id ? { sub: row.actor_agent_id, name: row.actor_name, agent_task_id: row.actor_agent_task_id } : null,
    permissions: JSON.parse(row.permissions) as string[],
    azp: row.azp,
    last_active_at: row.last_active_at,
    expire_at: row.expires_at,
    abandon_at: row.expires_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
}

export async function getSession(ctx: ServiceContext, sessionId: string) {
  const row = await ctx.db.selectFrom('sessions').selectAll().where('id', '=', sessionId).executeTakeFirst()
  if (!row) throw notFound('session', sessionId)
  return serializeSession(row)
}

export async function listSessions(ctx: ServiceContext, filter: { userId: string | null; status: string | null; limit: number; offset: number }) {
  const now = Date.now()
  let query = ctx.db.selectFrom('sessions').selectAll()
  if (filter.userId) query = query.where('user_id', '=', filter.userId)
  if (filter.status === 'active') query = query.where('status', '=', 'active').where('expires_at', '>', now)
  if (filter.status === 'revoked') query = query.where('status', '=', 'revoked')
  if (filter.status === 'expired') query = query.where('status', '=', 'active').where('expires_at', '<=', now)

  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'asc').limit(filter.limit).offset(filter.offset).execute()
  return rows.map(serializeSession)
}

/** Revokes a session; revoking one that is already revoked returns it unchanged. */
export async function revokeSession(ctx: ServiceContext, sessionId: string, actor: { type: 'secret_key'; id: string }, meta: RequestMeta) {
  const now = Date.now()
  await ctx.db.transaction().execute(async (trx) => {
    const revoked = await trx
      .updateTable('sessions')
      .set({ status: 'revoked', revoked_at: now, updated_at: now })
      .where('id', '=', sessionId)
      .where('status', '=', 'active')
      .returning(['user_id', 'actor_agent_task_id'])
      .executeTakeFirst()
    if (revoked) {
      await recordAudit(
        trx,
        { kind: 'session.revoked', actorType: actor.type, actorId: actor.id, userId: revoked.user_id, sessionId, agentTaskId: revoked.actor_agent_task_id },
        meta,
      )
    }
  })
  const session = await getSession(ctx, sessionId)
  ctx.logger.info({ sessionId, traceId: meta.traceId }, 'session revoked')
  return session
}

// ---------------------------------------------------------------------------------------------
// Session tokens, handoff and refresh

function sessionUnusable(status: number, code: string, message: string, longMessage: string): ApiError {
  return new ApiError(status as 403 | 404 | 410, code, message, longMessage)
}

/**
 * Checks that a session may still receive tokens: its user present and not banned, the session
 * active and not past its end. The user is checked first because deleting or banning a user
 * also revokes their sessions, and `user_not_found` or `user_banned` is a more specific reason
 * than `session_revoked`.
 */
async function assertSessionUsable(db: Executor, session: SessionRow, now: number): Promise<void> {
  const user = await db.selectFrom('users').select(['banned']).where('id', '=', session.user_id).executeTakeFirst()
  if (!user) throw sessionUnusable(410, 'user_not_found', 'User not found', `The user of session ${session.id} was deleted.`)
  if (user.banned === 1) throw sessionUnusable(403, 'user_banned', 'User banned', `The user of session ${session.id} is banned.`)

  if (session.status === 'revoked') {
    throw sessionUnusable(410, 'session_revoked', 'Session revoked', `Session ${session.id} was revoked. Sign in again.`)
  }
  if (session.expires_at <= now) {
    throw sessionUnusable(410, 'session_expired', 'Session expired', `Session ${session.id} reached its maximum duration. Sign in again.`)
  }
}

/** Signs a session token whose lifetime never outlasts the session. */
export async function issueSessionToken(ctx: ServiceContext, session: SessionRow): Promise<string> {
  const now = Date.now()
  const expiresAt = Math.min(now + ctx.config.sessionTokenTtlSeconds * 1000, session.expires_at)
  const claims: Record<string, unknown> = {
    iss: ctx.config.publicUrl,
    sub: session.user_id,
    sid: session.id,
    azp: session.azp,
    sts: 'active',
    permissions: JSON.parse(session.permissions) as string[],
  }
  if (session.actor_agent_id) {
    claims.act = { sub: session.actor_agent_id, name: session.actor_name, agent_task_id: session.actor_agent_task_id }
  }
  return ctx.signingKeys.sign(claims, expiresAt)
}

function handoffCodeInvalid(longMessage: string): ApiError {
  return new ApiError(400, 'handoff_code_invalid', 'Handoff code is invalid', longMessage, { param_name: 'code' })
}

/**
 * Exchanges a handoff code for a session token and a refresh token. The code is consumed
 * before anything else is checked, so a code that fails for any reason cannot be tried again.
 */
export async function exchangeHandoffCode(ctx: ServiceContext, code: string, origin: string, meta: RequestMeta) {
  const now = Date.now()
  const refreshToken = newSecretToken()

  const session = await ctx.db.transaction().execute(async (trx) => {
    const consumed = await trx
      .updateTable('handoff_codes')
      .set({ used_at: now })
      .where('code_hash', '=', sha256Hex(code))
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .returning(['session_id', 'origin'])
      .executeTakeFirst()
    if (!consumed) return { error: handoffCodeInvalid('The handoff code is unknown, already used or expired. Start the sign-in again.') }
    if (consumed.origin !== origin) {
      return { error: handoffCodeInvalid(`The handoff code was issued for ${consumed.origin}, not for ${origin}. Exchange it from the app it was sent to.`) }
    }

    const row = await trx.selectFrom('sessions').selectAll().where('id', '=', consumed.session_id).executeTakeFirst()
    if (!row) return { error: handoffCodeInvalid('The session of this handoff code no longer exists.') }
    try {
      await assertSessionUsable(trx, row, now)
    } catch (error) {
      return { error: error as ApiError }
    }

    await trx
      .updateTable('sessions')
      .set({ refresh_token_hash: sha256Hex(refreshToken), last_active_at: now, updated_at: now })
      .where('id', '=', row.id)
      .execute()
    await recordAudit(trx, { kind: 'session.handed_off', actorType: row.actor_agent_id ? 'agent' : 'user', actorId: row.actor_agent_id ?? row.user_id, userId: row.user_id, sessionId: row.id, details: { origin } }, meta)
    return { row }
  })
  // The consumed code stays consumed even when the exchange fails, hence no throw inside the transaction.
  if ('error' in session) throw session.error

  const sessionToken = await issueSessionToken(ctx, session.row)
  ctx.logger.info({ sessionId: session.row.id, traceId: meta.traceId }, 'handoff code exchanged')
  return { object: 'session_tokens', session_id: session.row.id, session_token: sessionToken, refresh_token: refreshToken, expire_at: session.row.expires_at }
}

/**
 * Issues a fresh session token for a refresh token. Refresh tokens are not rotated: a browser
 * sends parallel requests that would race to rotate one, and the session row (revocable, with
 * a fixed end) is what bounds the refresh token's power.
 */
export async function refreshSessionToken(ctx: ServiceContext, refreshToken: string, origin: string) {
  const now = Date.now()
  const row = await ctx.db.selectFrom('sessions').selectAll().where('refresh_token_hash', '=', sha256Hex(refreshToken)).executeTakeFirst()
  if (!row || row.azp !== origin) {
    throw new ApiError(404, 'refresh_token_invalid', 'Refresh token is invalid', 'The refresh token is unknown or belongs to another origin. Sign in again.', {
      param_name: 'refresh_token',
    })
  }
  await assertSessionUsable(ctx.db, row, now)

  // last_active_at is a hint for listings; one write per minute per session is plenty.
  if (now - row.last_active_at > 60_000) {
    await ctx.db.updateTable('sessions').set({ last_active_at: now }).where('id', '=', row.id).execute()
  }
  return { object: 'session_token', session_id: row.id, session_token: await issueSessionToken(ctx, row) }
}
