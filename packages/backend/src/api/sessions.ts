import { assertNonEmptyString, pathSegment, type ApiRequester } from './request.js'

export type SessionStatus = 'active' | 'revoked' | 'expired'

/** Agent that acts in a session on a user's behalf (the RFC 8693 actor). */
export interface SessionActor {
  /** Agent id. */
  sub: string
  /** Agent name given when the agent task was created. */
  name: string
  agentTaskId: string
}

/** A session. Timestamps are Unix milliseconds. */
export interface Session {
  id: string
  userId: string
  status: SessionStatus
  /** Agent acting in the session, or null for a session a person signed in to. */
  actor: SessionActor | null
  permissions: string[]
  /** Origin of the app the session was handed to. */
  azp: string | null
  lastActiveAt: number | null
  expireAt: number
  createdAt: number
  updatedAt: number
}

export interface ListSessionsParams {
  userId: string
  status?: SessionStatus
}

export interface RefreshSessionParams {
  refreshToken: string
  /** Origin of the app that received the session. It must match the session's `azp`. */
  origin: string
}

export interface RefreshedSessionToken {
  sessionId: string
  sessionToken: string
}

interface WireSessionActor {
  sub: string
  name: string
  agent_task_id: string
}

export interface WireSession {
  object: 'session'
  id: string
  user_id: string
  status: SessionStatus
  actor: WireSessionActor | null
  permissions: string[] | null
  azp: string | null
  last_active_at: number | null
  expire_at: number
  created_at: number
  updated_at: number
}

export function fromWireSession(wire: WireSession): Session {
  return {
    id: wire.id,
    userId: wire.user_id,
    status: wire.status,
    actor:
      wire.actor === null || wire.actor === undefined
        ? null
        : { sub: wire.actor.sub, name: wire.actor.name, agentTaskId: wire.actor.agent_task_id },
    permissions: wire.permissions ?? [],
    azp: wire.azp ?? null,
    lastActiveAt: wire.last_active_at ?? null,
    expireAt: wire.expire_at,
    createdAt: wire.created_at,
    updatedAt: wire.updated_at,
  }
}

export interface SessionsApi {
  list(params: ListSessionsParams): Promise<Session[]>
  get(sessionId: string): Promise<Session>
  /**
   * Revokes a session. Its refresh token stops working at once, but session tokens already
   * issued stay valid until their `exp`.
   */
  revoke(sessionId: string): Promise<Session>
  /**
   * Exchanges a refresh token for a new session token. `authenticateRequest` calls this, and
   * apps rarely need it directly.
   */
  refresh(params: RefreshSessionParams): Promise<RefreshedSessionToken>
}

export function createSessionsApi(request: ApiRequester): SessionsApi {
  const sessionPath = (sessionId: string): string => `/v1/sessions/${pathSegment(sessionId, 'sessionId')}`

  return {
    async list(params) {
      assertNonEmptyString(params?.userId, 'userId')
      const wire = await request<WireSession[]>({
        method: 'GET',
        path: '/v1/sessions',
        query: { user_id: params.userId, status: params.status },
      })
      return wire.map(fromWireSession)
    },

    async get(sessionId) {
      return fromWireSession(await request<WireSession>({ method: 'GET', path: sessionPath(sessionId) }))
    },

    async revoke(sessionId) {
      return fromWireSession(await request<WireSession>({ method: 'POST', path: `${sessionPath(sessionId)}/revoke` }))
    },

    async refresh(params) {
      const wire = await request<{ object: 'session_token'; session_id: string; session_token: string }>({
        method: 'POST',
        path: '/v1/sessions/refresh',
        body: { refresh_token: params.refreshToken, origin: params.origin },
      })
      return { sessionId: wire.session_id, sessionToken: wire.session_token }
    },
  }
}
