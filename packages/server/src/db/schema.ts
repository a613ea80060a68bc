/**
 * Row types shared by both engines. Timestamps are Unix milliseconds (BIGINT), booleans are
 * 0/1 integers and JSON documents are text, so that SQLite and PostgreSQL store the same values.
 */
export interface UsersTable {
  id: string
  username: string | null
  first_name: string | null
  last_name: string | null
  external_id: string | null
  password_hash: string | null
  banned: number
  primary_email_address_id: string | null
  primary_phone_number_id: string | null
  public_metadata: string
  private_metadata: string
  unsafe_metadata: string
  created_at: number
  updated_at: number
  last_sign_in_at: number | null
}

export type IdentifierType = 'email_address' | 'phone_number'

export interface UserIdentifiersTable {
  id: string
  user_id: string
  type: IdentifierType
  /** Normalised value: emails lower-cased, phone numbers in E.164. */
  value: string
  verified: number
  verification_strategy: string | null
  created_at: number
}

export interface AgentsTable {
  id: string
  name: string
  created_at: number
}

export type AgentTaskStatus = 'pending' | 'accepted' | 'revoked' | 'expired'

export interface AgentTasksTable {
  id: string
  agent_id: string
  user_id: string
  ticket_hash: string
  permissions: string
  task_description: string
  redirect_url: string
  session_max_duration_seconds: number
  status: AgentTaskStatus
  session_id: string | null
  expires_at: number
  created_at: number
  updated_at: number
  accepted_at: number | null
  revoked_at: number | null
}

export type SessionStatus = 'active' | 'revoked'

export interface SessionsTable {
  id: string
  user_id: string
  status: SessionStatus
  actor_agent_id: string | null
  actor_name: string | null
  actor_agent_task_id: string | null
  permissions: string
  /** Origin the session was handed to: the `azp` of its session tokens. */
  azp: string
  refresh_token_hash: string | null
  expires_at: number
  last_active_at: number
  created_at: number
  updated_at: number
  revoked_at: number | null
}

export interface HandoffCodesTable {
  code_hash: string
  session_id: string
  origin: string
  expires_at: number
  used_at: number | null
  created_at: number
}

export interface SecretKeysTable {
  id: string
  key_hash: string
  /** The key's first characters, enough to tell keys apart in a list. */
  hint: string
  created_at: number
  revoked_at: number | null
}

export type SigningKeyStatus = 'active' | 'retired'

export interface SigningKeysTable {
  kid: string
  public_jwk: string
  /** The PKCS#8 private key, AES-256-GCM encrypted with the instance's encryption key. */
  private_key_encrypted: string
  status: SigningKeyStatus
  /** Tokens are signed with the newest key whose activation time has passed. */
  activates_at: number
  created_at: number
  retired_at: number | null
}

export interface AuditEventsTable {
  id: string
  kind: string
  actor_type: string
  actor_id: string | null
  user_id: string | null
  session_id: string | null
  agent_task_id: string | null
  ip: string | null
  user_agent: string | null
  details: string
  created_at: number
}

export interface Database {
  users: UsersTable
  user_identifiers: UserIdentifiersTable
  agents: AgentsTable
  agent_tasks: AgentTasksTable
  sessions: SessionsTable
  handoff_codes: HandoffCodesTable
  secret_keys: SecretKeysTable
  signing_keys: SigningKeysTable
  audit_events: AuditEventsTable
}
