import { pathSegment, type ApiRequester } from './request.js'

/** The user an agent task signs in: by id, or by an email address, phone number or username. */
export type OnBehalfOf = { userId: string; identifier?: never } | { identifier: string; userId?: never }

export interface CreateAgentTaskParams {
  onBehalfOf: OnBehalfOf
  /** Permissions granted to the session. Only `'*'` (everything the user can do) exists. */
  permissions: '*'
  /** Name of the agent. The server returns the same `agentId` for the same name. */
  agentName: string
  /** Human-readable description of what the agent will do, stored with the task. */
  taskDescription: string
  /** Absolute URL of the app page to land on. Its origin must be on the server's allow-list. */
  redirectUrl: string
  /** Maximum lifetime of the session the task creates, in seconds. The server's default is 1800. */
  sessionMaxDurationInSeconds?: number
  /** Lifetime of the task URL before it is used, in seconds. The server's default is 600. */
  expiresInSeconds?: number
}

/** Result of creating an agent task. Visiting `url` signs the browser in as the user. */
export interface AgentTask {
  agentId: string
  agentTaskId: string
  url: string
}

export interface RevokedAgentTask {
  agentId: string
  agentTaskId: string
}

export type AgentTaskStatus = 'pending' | 'accepted' | 'revoked' | 'expired'

/** Stored state of an agent task. Timestamps are Unix milliseconds. */
export interface AgentTaskDetails {
  agentId: string
  agentTaskId: string
  agentName: string
  userId: string
  status: AgentTaskStatus
  /** `'*'` for every task the server creates today. */
  permissions: string | string[]
  taskDescription: string
  redirectUrl: string
  sessionMaxDurationInSeconds: number
  /** Session created when the task was accepted, or null before that. */
  sessionId: string | null
  expiresAt: number
  createdAt: number
  updatedAt: number
  acceptedAt: number | null
  revokedAt: number | null
}

export interface ListAgentTasksParams {
  userId?: string
  agentId?: string
  status?: AgentTaskStatus
  limit?: number
  offset?: number
}

export interface AgentTaskList {
  data: AgentTaskDetails[]
  totalCount: number
}

interface WireAgentTaskReference {
  object: 'agent_task'
  agent_id: string
  agent_task_id: string
  task_id?: string
  url?: string
}

export interface WireAgentTaskDetails extends WireAgentTaskReference {
  agent_name: string
  user_id: string
  status: AgentTaskStatus
  permissions: string | string[]
  task_description: string
  redirect_url: string
  session_max_duration_in_seconds: number
  session_id: string | null
  expires_at: number
  created_at: number
  updated_at: number
  accepted_at: number | null
  revoked_at: number | null
}

export function toWireCreateAgentTask(params: CreateAgentTaskParams): Record<string, unknown> {
  const { onBehalfOf } = params
  const hasUserId = typeof onBehalfOf?.userId === 'string'
  const hasIdentifier = typeof onBehalfOf?.identifier === 'string'
  if (hasUserId === hasIdentifier) {
    throw new TypeError('onBehalfOf must contain exactly one of userId or identifier, such as { userId: "user_123" }.')
  }

  const body: Record<string, unknown> = {
    on_behalf_of: hasUserId ? { user_id: onBehalfOf.userId } : { identifier: onBehalfOf.identifier },
    permissions: params.permissions,
    agent_name: params.agentName,
    task_description: params.taskDescription,
    redirect_url: params.redirectUrl,
  }
  if (params.sessionMaxDurationInSeconds !== undefined) {
    body.session_max_duration_in_seconds = params.sessionMaxDurationInSeconds
  }
  if (params.expiresInSeconds !== undefined) {
    body.expires_in_seconds = params.expiresInSeconds
  }
  return body
}

export function fromWireAgentTaskDetails(wire: WireAgentTaskDetails): AgentTaskDetails {
  return {
    agentId: wire.agent_id,
    agentTaskId: wire.agent_task_id,
    agentName: wire.agent_name,
    userId: wire.user_id,
    status: wire.status,
    permissions: wire.permissions,
    taskDescription: wire.task_description,
    redirectUrl: wire.redirect_url,
    sessionMaxDurationInSeconds: wire.session_max_duration_in_seconds,
    sessionId: wire.session_id ?? null,
    expiresAt: wire.expires_at,
    createdAt: wire.created_at,
    updatedAt: wire.updated_at,
    acceptedAt: wire.accepted_at ?? null,
    revokedAt: wire.revoked_at ?? null,
  }
}

export interface AgentTasksApi {
  /** Creates an agent task and returns its one-time sign-in URL. */
  create(params: CreateAgentTaskParams): Promise<AgentTask>
  /**
   * Revokes an agent task. An unused URL stops working, and the session of an accepted task
   * is revoked too.
   */
  revoke(agentTaskId: string): Promise<RevokedAgentTask>
  get(agentTaskId: string): Promise<AgentTaskDetails>
  list(params?: ListAgentTasksParams): Promise<AgentTaskList>
}

export function createAgentTasksApi(request: ApiRequester): AgentTasksApi {
  return {
    async create(params) {
      const wire = await request<WireAgentTaskReference & { url: string }>({
        method: 'POST',
        path: '/v1/agents/tasks',
        body: toWireCreateAgentTask(params),
      })
      return { agentId: wire.agent_id, agentTaskId: wire.agent_task_id, url: wire.url }
    },

    async revoke(agentTaskId) {
      const wire = await request<WireAgentTaskReference>({
        method: 'POST',
        path: `/v1/agents/tasks/${pathSegment(agentTaskId, 'agentTaskId')}/revoke`,
      })
      return { agentId: wire.agent_id, agentTaskId: wire.agent_task_id }
    },

    async get(agentTaskId) {
      const wire = await request<WireAgentTaskDetails>({
        method: 'GET',
        path: `/v1/agents/tasks/${pathSegment(agentTaskId, 'agentTaskId')}`,
      })
      return fromWireAgentTaskDetails(wire)
    },

    async list(params = {}) {
      const wire = await request<{ data: WireAgentTaskDetails[]; total_count: number }>({
        method: 'GET',
        path: '/v1/agents/tasks',
        query: {
          user_id: params.userId,
          agent_id: params.agentId,
          status: params.status,
          limit: params.limit,
          offset: params.offset,
        },
      })
      return { data: wire.data.map(fromWireAgentTaskDetails), totalCount: wire.total_count }
    },
  }
}
