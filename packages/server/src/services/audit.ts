import type { Insertable } from 'kysely'

import { newId } from '../crypto/random.js'
import type { AuditEventsTable } from '../db/schema.js'
import type { Executor, RequestMeta } from './context.js'

export type AuditEventKind =
  | 'agent_task.created'
  | 'agent_task.accepted'
  | 'agent_task.revoked'
  | 'agent_task.expired'
  | 'session.created'
  | 'session.revoked'
  | 'session.handed_off'
  | 'user.created'
  | 'user.updated'
  | 'user.deleted'
  | 'user.banned'
  | 'user.unbanned'
  | 'user.signed_in'
  | 'user.signed_up'
  | 'user.sign_in_failed'
  | 'signing_key.created'
  | 'signing_key.retired'
  | 'secret_key.created'
  | 'secret_key.revoked'

export interface AuditEvent {
  kind: AuditEventKind
  /** `secret_key` for Backend API calls, `user` for a person, `agent` for an agent session, `system` for the server itself. */
  actorType: 'secret_key' | 'user' | 'agent' | 'system'
  actorId?: string | null
  userId?: string | null
  sessionId?: string | null
  agentTaskId?: string | null
  details?: Record<string, unknown>
}

/**
 * Appends one audit event. Callers pass the transaction that makes the change, so the event
 * exists exactly when the change does. Details hold ids and reasons, never secrets.
 */
export async function recordAudit(db: Executor, event: AuditEvent, meta: RequestMeta | null): Promise<void> {
  await db.insertInto('audit_events').values(auditEventRow(event, meta)).execute()
}

/** Returns the audit_events row of an event, for callers that insert it in a statement of their own. */
export function auditEventRow(event: AuditEvent, meta: RequestMeta | null): Insertable<AuditEventsTable> {
  return {
    id: newId('evt'),
    kind: event.kind,
    actor_type: event.actorType,
    actor_id: event.actorId ?? null,
    user_id: event.userId ?? null,
    session_id: event.sessionId ?? null,
    agent_task_id: event.agentTaskId ?? null,
    ip: meta?.ip ?? null,
    user_agent: meta?.userAgent?.slice(0, 512) ?? null,
    details: JSON.stringify(event.details ?? {}),
    created_at: Date.now(),
  }
}
