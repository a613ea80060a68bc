import type { Selectable } from 'kysely'

import { newId, newSecretToken, sha256Hex } from '../crypto/random.js'
import type { AgentTasksTable } from '../db/schema.js'
import { ApiError, invalidParam, notFound } from '../http/errors.js'
import { checkRedirectUrl, withQueryParameter } from '../redirects.js'
import { auditEventRow, recordAudit, type AuditEvent } from './audit.js'
import type { Executor, RequestMeta, ServiceContext } from './context.js'
import { HANDOFF_QUERY_PARAMETER, newHandoffCode, newSessionRow } from './sessions.js'
import { findUserByIdentifier } from './users.js'

export type AgentTaskRow = Selectable<AgentTasksTable>

export const DEFAULT_SESSION_MAX_DURATION_SECONDS = 1800
export const DEFAULT_TASK_EXPIRES_IN_SECONDS = 600
export const MAX_DURATION_SECONDS = 7 * 24 * 3600
export const ACCEPT_PATH = '/agent-tasks/accept'

export interface NewAgentTask {
  onBehalfOf: { userId: string } | { identifier: string }
  permissions: '*'
  agentName: string
  taskDescription: string
  redirectUrl: string
  sessionMaxDurationSeconds: number
  expiresInSeconds: number
}

/** Upper bound on the agents one process keeps in {@link AgentCache}; agent names come from API callers, so they are unbounded. */
const MAX_CACHED_AGENTS = 10_000

/**
 * Agent ids by name and names by id, kept in this process. Agents are never renamed, updated
 * or deleted, so an entry never goes stale, and every process finds the same id for a name
 * because the name is unique in the database. When full, the entry added first is dropped.
 */
class AgentCache {
  private readonly idsByName = new Map<string, string>()
  private readonly namesById = new Map<string, string>()

  idOf(name: string): string | undefined {
    return this.idsByName.get(name)
  }

  nameOf(id: string): string | undefined {
    return this.namesById.get(id)
  }

  add(id: string, name: string): void {
    if (this.idsByName.size >= MAX_CACHED_AGENTS) {
      const oldestName = this.idsByName.keys().next().value
      if (oldestName !== undefined) {
        this.namesById.delete(this.idsByName.get(oldestName) as string)
        this.idsByName.delete(oldestName)
      }
    }
    this.idsByName.set(name, id)
    this.namesById.set(id, name)
  }
}

// One cache per database: a process may serve several databases, as the tests do.
const agentCaches = new WeakMap<ServiceContext['db'], AgentCache>()

function agentCacheOf(ctx: ServiceContext): AgentCache {
  let cache = agentCaches.get(ctx.db)
  if (cache === undefined) {
    cache = new AgentCache()
    agentCaches.set(ctx.db, cache)
  }
  return cache
}

/** Returns the agent's id, creating the agent on first use. Concurrent first uses agree on one id through the unique name. */
async function ensureAgent(ctx: ServiceContext, name: string): Promise<string> {
  const cache = agentCacheOf(ctx)
  const cachedId = cache.idOf(name)
  if (cachedId !== undefined) return cachedId

  await ctx.db
    .insertInto('agents')
    .values({ id: newId('agent'), name, created_at: Date.now() })
    .onConflict((conflict) => conflict.column('name').doNothing())
    .execute()
  const agent = await ctx.db.selectFrom('agents').select('id').where('name', '=', name).executeTakeFirstOrThrow()
  cache.add(agent.id, name)
  return agent.id
}

/** Returns the name of an agent that exists; `db` may be a transaction. */
async function agentName(ctx: ServiceContext, db: Executor, agentId: string): Promise<string> {
  const cache = agentCacheOf(ctx)
  const cachedName = cache.nameOf(agentId)
  if (cachedName !== undefined) return cachedName

  const agent = await db.selectFrom('agents').select('name').where('id', '=', agentId).executeTakeFirstOrThrow()
  cache.add(agentId, agent.name)
  return agent.name
}

async function resolveUser(ctx: ServiceContext, onBehalfOf: NewAgentTask['onBehalfOf']): Promise<string> {
  let userId: string
  let paramName: string
  if ('userId' in onBehalfOf) {
    userId = onBehalfOf.userId
    paramName = 'on_behalf_of.user_id'
  } else {
    paramName = 'on_behalf_of.identifier'
    const match = await findUserByIdentifier(ctx.db, onBehalfOf.identifier)
    if (!match) {
      throw new ApiError(404, 'resource_not_found', 'user not found', `No user has the identifier ${JSON.stringify(onBehalfOf.identifier)}. Create the user first.`, {
        param_name: paramName,
      })
    }
    if (!match.verified) {
      throw new ApiError(
        422,
        'identifier_not_verified',
        'Identifier is not verified',
        `${JSON.stringify(onBehalfOf.identifier)} has not been verified, so it cannot name a user for an agent task. Pass on_behalf_of.user_id instead.`,
        { param_name: paramName },
      )
    }
    userId = match.userId
  }

  const user = await ctx.db.selectFrom('users').select(['id', 'banned']).where('id', '=', userId).executeTakeFirst()
  if (!user) throw notFound('user', userId, paramName)
  if (user.banned === 1) {
    throw new ApiError(403, 'user_banned', 'User is banned', `User ${userId} is banned, so no session can be created for them. Unban the user first.`, {
      param_name: paramName,
    })
  }
  return userId
}

/** Creates an agent task and returns its one-time URL. Only the ticket's SHA-256 hash is stored. */
export async function createAgentTask(ctx: ServiceContext, input: NewAgentTask, secretKeyId: string, meta: RequestMeta) {
  const redirect = checkRedirectUrl(input.redirectUrl, ctx.config)
  if (!redirect.ok) {
    throw invalidParam('redirect_url', `redirect_url ${redirect.message}.`, redirect.reason === 'invalid' ? 'redirect_url_invalid' : 'redirect_url_not_allowed')
  }

  const userId = await resolveUser(ctx, input.onBehalfOf)
  const agentId = await ensureAgent(ctx, input.agentName)

  const now = Date.now()
  const ticket = newSecretToken()
  const row: AgentTaskRow = {
    id: newId('agtask'),
    agent_id: agentId,
    user_id: userId,
    ticket_hash: sha256Hex(ticket),
    permissions: input.permissions,
    task_description: input.taskDescription,
    redirect_url: redirect.url.href,
    session_max_duration_seconds: input.sessionMaxDurationSeconds,
    status: 'pending',
    session_id: null,
    expires_at: now + input.expiresInSeconds * 1000,
    created_at: now,
    updated_at: now,
    accepted_at: null,
    revoked_at: null,
  }

  const audit: AuditEvent = { kind: 'agent_task.created', actorType: 'secret_key', actorId: secretKeyId, userId, agentTaskId: row.id, details: { agentId, agentName: input.agentName } }
  if (ctx.engine === 'postgres') {
    // One statement is one transaction: PostgreSQL runs the INSERT in the WITH clause exactly
    // once whether or not the outer INSERT reads it, and the two rows commit or fail together.
    // This saves the BEGIN and COMMIT round trips. SQLite has no INSERT inside WITH.
    await ctx.db
      .with('inserted_task', (db) => db.insertInto('agent_tasks').values(row))
      .insertInto('audit_events')
      .values(auditEventRow(audit, meta))
      .execute()
  } else {
    await ctx.db.transaction().execute(async (trx) => {
      await trx.insertInto('agent_tasks').values(row).execute()
      await recordAudit(trx, audit, meta)
    })
  }
  ctx.logger.info({ agentTaskId: row.id, agentId, userId, traceId: meta.traceId }, 'agent task created')

  const url = new URL(`${ctx.config.publicUrl}${ACCEPT_PATH}`)
  url.searchParams.set('ticket', ticket)
  return { object: 'agent_task', agent_id: agentId, agent_task_id: row.id, task_id: row.id, url: url.href }
}

// ---------------------------------------------------------------------------------------------
// Accept

export type AcceptFailure = 'unknown' | 'used' | 'revoked' | 'expired' | 'user_unavailable' | 'redirect_not_allowed'

export type AcceptResult = { ok: true; location: string; agentTaskId: string; sessionId: string } | { ok: false; failure: AcceptFailure }

class AcceptAborted extends Error {
  constructor(readonly failure: AcceptFailure) {
    super(failure)
  }
}

const TICKET_PATTERN = /^[A-Za-z0-9_-]{43}$/

/**
 * Consumes a ticket. One UPDATE moves the task from pending to accepted, so of any number of
 * concurrent visits exactly one gets a row back. The session and handoff code are written
 * in the same transaction and vanish with it if any later check fails.
 */
export async function acceptTicket(ctx: ServiceContext, ticket: string, meta: RequestMeta): Promise<AcceptResult> {
  if (!TICKET_PATTERN.test(ticket)) return { ok: false, failure: 'unknown' }
  const ticketHash = sha256Hex(ticket)
  const now = Date.now()
  const sessionId = newId('sess')

  try {
    const accepted = await ctx.db.transaction().execute(async (trx) => {
      const task = await trx
        .updateTable('agent_tasks')
        .set({ status: 'accepted', accepted_at: now, updated_at: now, session_id: sessionId })
        .where('ticket_hash', '=', ticketHash)
        .where('status', '=', 'pending')
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst()
      if (!task) return null

      const user = await trx.selectFrom('users').select(['banned']).where('id', '=', task.user_id).executeTakeFirst()
      if (!user || user.banned === 1) throw new AcceptAborted('user_unavailable')

      // The allow-list may have shrunk since the task was created; the redirect must still pass it.
      const redirect = checkRedirectUrl(task.redirect_url, ctx.config)
      if (!redirect.ok) throw new AcceptAborted('redirect_not_allowed')

      const agent = { id: task.agent_id, name: await agentName(ctx, trx, task.agent_id) }
      const session = newSessionRow(
        {
          userId: task.user_id,
          actor: { agentId: agent.id, agentName: agent.name, agentTaskId: task.id },
          permissions: [task.permissions],
          azp: redirect.url.origin,
          maxDurationSeconds: task.session_max_duration_seconds,
        },
        now,
        sessionId,
      )
      const { code, row: handoffCode } = newHandoffCode(sessionId, redirect.url.origin, now)
      const auditEvents = [
        auditEventRow({ kind: 'agent_task.accepted', actorType: 'agent', actorId: agent.id, userId: task.user_id, sessionId, agentTaskId: task.id }, meta),
        auditEventRow({ kind: 'session.created', actorType: 'agent', actorId: agent.id, userId: task.user_id, sessionId, agentTaskId: task.id }, meta),
      ]
      if (ctx.engine === 'postgres') {
        // One statement for the three inserts saves two round trips; PostgreSQL runs each INSERT in WITH exactly once.
        await trx
          .with('inserted_session', (db) => db.insertInto('sessions').values(session))
          .with('inserted_code', (db) => db.insertInto('handoff_codes').values(handoffCode))
          .insertInto('audit_events')
          .values(auditEvents)
          .execute()
      } else {
        await trx.insertInto('sessions').values(session).execute()
        await trx.insertInto('handoff_codes').values(handoffCode).execute()
        await trx.insertInto('audit_events').values(auditEvents).execute()
      }
      return { location: withQueryParameter(redirect.url, HANDOFF_QUERY_PARAMETER, code), agentTaskId: task.id }
    })

    if (accepted) {
      ctx.logger.info({ agentTaskId: accepted.agentTaskId, sessionId, traceId: meta.traceId }, 'agent task accepted')
      return { ok: true, location: accepted.location, agentTaskId: accepted.agentTaskId, sessionId }
    }
  } catch (error) {
    if (error instanceof AcceptAborted) {
      ctx.logger.warn({ failure: error.failure, traceId: meta.traceId }, 'agent task accept rejected')
      return { ok: false, failure: error.failure }
    }
    throw error
  }

  const failure = await diagnoseTicket(ctx.db, ticketHash, now)
  ctx.logger.info({ failure, traceId: meta.traceId }, 'agent task accept rejected')
  return { ok: false, failure }
}

/** Says why a ticket could not be consumed; runs after the consuming UPDATE matched no row. */
async function diagnoseTicket(db: Executor, ticketHash: string, now: number): Promise<AcceptFailure> {
  const state = await readTicketState(db, ticketHash, now)
  // Pending and unexpired, yet the UPDATE missed it: another visit accepted it in between.
  return state === 'pending' ? 'used' : state
}

/** Reads a ticket's state without consuming it: `pending` when a visit could still use it. */
export async function readTicketState(db: Executor, ticketHash: string, now: number): Promise<AcceptFailure | 'pending'> {
  const task = await db.selectFrom('agent_tasks').select(['status', 'expires_at']).where('ticket_hash', '=', ticketHash).executeTakeFirst()
  if (!task) return 'unknown'
  if (task.status === 'accepted') return 'used'
  if (task.status === 'revoked') return 'revoked'
  if (task.status === 'expired' || task.expires_at <= now) return 'expired'
  return 'pending'
}

// ---------------------------------------------------------------------------------------------
// Revoke, read, list

/**
 * Revokes a task. A pending task is revoked before anyone can use it; an accepted one keeps
 * its status, and the session it created is revoked instead. Revoking twice is harmless.
 */
export async function revokeAgentTask(ctx: ServiceContext, agentTaskId: string, secretKeyId: string, meta: RequestMeta) {
  const now = Date.now()
  const task = await ctx.db.transaction().execute(async (trx) => {
    const revoked = await trx
      .updateTable('agent_tasks')
      .set({ status: 'revoked', revoked_at: now, updated_at: now })
      .where('id', '=', agentTaskId)
      .where('status', '=', 'pending')
      .returningAll()
      .executeTakeFirst()
    if (revoked) {
      await recordAudit(trx, { kind: 'agent_task.revoked', actorType: 'secret_key', actorId: secretKeyId, userId: revoked.user_id, agentTaskId }, meta)
      return revoked
    }

    const current = await trx.selectFrom('agent_tasks').selectAll().where('id', '=', agentTaskId).executeTakeFirst()
    if (!current) return null
    if (current.status === 'accepted' && current.session_id && current.revoked_at === null) {
      await trx
        .updateTable('sessions')
        .set({ status: 'revoked', revoked_at: now, updated_at: now })
        .where('id', '=', current.session_id)
        .where('status', '=', 'active')
        .execute()
      await trx.updateTable('agent_tasks').set({ revoked_at: now, updated_at: now }).where('id', '=', agentTaskId).execute()
      await recordAudit(trx, { kind: 'agent_task.revoked', actorType: 'secret_key', actorId: secretKeyId, userId: current.user_id, sessionId: current.session_id, agentTaskId }, meta)
      await recordAudit(trx, { kind: 'session.revoked', actorType: 'secret_key', actorId: secretKeyId, userId: current.user_id, sessionId: current.session_id, agentTaskId }, meta)
    }
    return current
  })

  if (!task) throw notFound('agent task', agentTaskId)
  ctx.logger.info({ agentTaskId, status: task.status, traceId: meta.traceId }, 'agent task revoked')
  return { object: 'agent_task', agent_id: task.agent_id, agent_task_id: task.id, task_id: task.id }
}

export function effectiveTaskStatus(row: Pick<AgentTaskRow, 'status' | 'expires_at'>, now = Date.now()): AgentTasksTable['status'] {
  return row.status === 'pending' && row.expires_at <= now ? 'expired' : row.status
}

function serializeTaskDetails(row: AgentTaskRow & { agent_name: string }) {
  return {
    object: 'agent_task',
    agent_id: row.agent_id,
    agent_task_id: row.id,
    task_id: row.id,
    agent_name: row.agent_name,
    user_id: row.user_id,
    status: effectiveTaskStatus(row),
    permissions: row.permissions,
    task_description: row.task_description,
    redirect_url: row.redirect_url,
    session_max_duration_in_seconds: row.session_max_duration_seconds,
    session_id: row.session_id,
    expires_at: row.expires_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
    accepted_at: row.accepted_at,
    revoked_at: row.revoked_at,
  }
}

function selectTasks(db: Executor) {
  return db
    .selectFrom('agent_tasks')
    .innerJoin('agents', 'agents.id', 'agent_tasks.agent_id')
    .selectAll('agent_tasks')
    .select('agents.name as agent_name')
}

export async function getAgentTask(ctx: ServiceContext, agentTaskId: string) {
  const row = await selectTasks(ctx.db).where('agent_tasks.id', '=', agentTaskId).executeTakeFirst()
  if (!row) throw notFound('agent task', agentTaskId)
  return serializeTaskDetails(row)
}

export interface AgentTaskFilter {
  userId: string | null
  agentId: string | null
  status: AgentTasksTable['status'] | null
  limit: number
  offset: number
}

export async function listAgentTasks(ctx: ServiceContext, filter: AgentTaskFilter) {
  const now = Date.now()
  let query = selectTasks(ctx.db)
  if (filter.userId) query = query.where('agent_tasks.user_id', '=', filter.userId)
  if (filter.agentId) query = query.where('agent_tasks.agent_id', '=', filter.agentId)
  if (filter.status === 'pending') query = query.where('agent_tasks.status', '=', 'pending').where('agent_tasks.expires_at', '>', now)
  if (filter.status === 'expired') {
    query = query.where((eb) => eb.or([eb('agent_tasks.status', '=', 'expired'), eb.and([eb('agent_tasks.status', '=', 'pending'), eb('agent_tasks.expires_at', '<=', now)])]))
  }
  if (filter.status === 'accepted' || filter.status === 'revoked') query = query.where('agent_tasks.status', '=', filter.status)

  const total = await query.clearSelect().select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow()
  const rows = await query.orderBy('agent_tasks.created_at', 'desc').orderBy('agent_tasks.id', 'asc').limit(filter.limit).offset(filter.offset).execute()
  return { data: rows.map(serializeTaskDetails), total_count: Number(total.count) }
}

/**
 * Marks pending tasks past their lifetime as expired, one audit event each. Safe in several
 * processes at once: the UPDATE's WHERE lets each task be marked by exactly one of them.
 */
export async function expireAgentTasks(ctx: ServiceContext): Promise<number> {
  const now = Date.now()
  const expired = await ctx.db.transaction().execute(async (trx) => {
    const rows = await trx
      .updateTable('agent_tasks')
      .set({ status: 'expired', updated_at: now })
      .where('status', '=', 'pending')
      .where('expires_at', '<=', now)
      .returning(['id', 'user_id'])
      .execute()
    for (const row of rows) {
      await recordAudit(trx, { kind: 'agent_task.expired', actorType: 'system', userId: row.user_id, agentTaskId: row.id }, null)
    }
    await trx.deleteFrom('handoff_codes').where('expires_at', '<', now - 3_600_000).execute()
    return rows.length
  })
  if (expired > 0) ctx.logger.info({ count: expired }, 'agent tasks expired')
  return expired
}
