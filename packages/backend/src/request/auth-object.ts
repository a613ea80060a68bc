import type { SessionClaims } from '../tokens/claims.js'

/** Agent acting in a session on a user's behalf, from the token's `act` claim. */
export interface Actor {
  /** Agent id, stable per agent name. */
  sub: string
  name: string | null
  agentTaskId: string | null
}

interface AuthObjectFields {
  /** Returns whether the session has this permission, directly or through `'*'`. Always false when signed out. */
  has(params: { permission: string }): boolean
  /** Session token of this request (after a refresh, the new one), or null when signed out. */
  getToken(): Promise<string | null>
}

/** Auth state of a request with a verified session token. */
export interface SignedInAuthObject extends AuthObjectFields {
  isAuthenticated: true
  userId: string
  sessionId: string
  /** Agent acting on the user's behalf, or null for a person's own session. */
  actor: Actor | null
  isAgent: boolean
  /** Permissions granted to the session. `'*'` grants every permission. */
  permissions: string[]
  sessionClaims: SessionClaims
}

/** Auth state of a request without a valid session. */
export interface SignedOutAuthObject extends AuthObjectFields {
  isAuthenticated: false
  userId: null
  sessionId: null
  actor: null
  isAgent: false
  /** Always empty. */
  permissions: string[]
  sessionClaims: null
}

/**
 * Auth state of one request, the same for every framework adapter. Checking
 * `isAuthenticated` narrows `userId` and `sessionId` to strings, also after destructuring.
 */
export type AuthObject = SignedInAuthObject | SignedOutAuthObject

export function signedInAuthObject(claims: SessionClaims, sessionToken: string): SignedInAuthObject {
  const permissions = Array.isArray(claims.permissions)
    ? claims.permissions.filter((permission): permission is string => typeof permission === 'string')
    : []
  const actor = toActor(claims.act)

  return {
    isAuthenticated: true,
    userId: claims.sub,
    sessionId: claims.sid,
    actor,
    isAgent: actor !== null,
    permissions,
    has: ({ permission }) => permissions.includes('*') || permissions.includes(permission),
    sessionClaims: claims,
    getToken: async () => sessionToken,
  }
}

export function signedOutAuthObject(): SignedOutAuthObject {
  return {
    isAuthenticated: false,
    userId: null,
    sessionId: null,
    actor: null,
    isAgent: false,
    permissions: [],
    has: () => false,
    sessionClaims: null,
    getToken: async () => null,
  }
}

function toActor(act: SessionClaims['act']): Actor | null {
  if (typeof act !== 'object' || act === null || typeof act.sub !== 'string') return null
  return {
    sub: act.sub,
    name: typeof act.name === 'string' ? act.name : null,
    agentTaskId: typeof act.agent_task_id === 'string' ? act.agent_task_id : null,
  }
}
