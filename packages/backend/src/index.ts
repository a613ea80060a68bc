export { createClient, type BehalfClient, type ClientOptions } from './client.js'
export { createLazyClient } from './lazy-client.js'
export { createRequestEntryStore, LazyRequestEntry, type RequestEntry, type RequestEntryStore } from './request/request-entries.js'

export type {
  AgentTask,
  AgentTaskDetails,
  AgentTaskList,
  AgentTasksApi,
  AgentTaskStatus,
  CreateAgentTaskParams,
  ListAgentTasksParams,
  OnBehalfOf,
  RevokedAgentTask,
} from './api/agent-tasks.js'
export type {
  CreateUserParams,
  DeletedObject,
  EmailAddress,
  LinkedIdentification,
  ListUsersParams,
  PhoneNumber,
  UpdateUserParams,
  User,
  UserFilterParams,
  UserMetadata,
  UsersApi,
  Verification,
} from './api/users.js'
export type {
  ListSessionsParams,
  RefreshSessionParams,
  RefreshedSessionToken,
  Session,
  SessionActor,
  SessionsApi,
  SessionStatus,
} from './api/sessions.js'
export type { ExchangeHandoffParams, HandoffSessionTokens, HandoffsApi } from './api/handoffs.js'

export {
  BehalfAPIError,
  BehalfConfigurationError,
  BehalfError,
  BehalfNetworkError,
  TokenVerificationError,
  isBehalfAPIError,
  isBehalfNetworkError,
  isTokenVerificationError,
  type BehalfAPIErrorEntry,
  type BehalfAPIErrorMeta,
  type BehalfErrorCode,
  type TokenVerificationErrorReason,
} from './errors.js'

export { verifyToken, VERIFIED_CLAIMS_CACHE_SIZE, type VerifyTokenOptions } from './tokens/verify.js'
export type { ActorClaim, SessionClaims } from './tokens/claims.js'

export {
  authenticateRequest,
  createAuthenticator,
  hasResponseHeaders,
  parseRequestOrigin,
  type AuthenticatableRequest,
  type Authenticator,
  type AuthenticateRequestOptions,
  type RequestState,
  type RequestStateReason,
  type RequestStatus,
} from './request/authenticate.js'
export type { Actor, AuthObject, SignedInAuthObject, SignedOutAuthObject } from './request/auth-object.js'
export { relativeRedirectLocation } from './request/redirect-location.js'
export { fromNodeRequest, nodeToWebRequest, type NodeIncomingHeaders } from './request/node-request.js'
export { clearAuthCookies, signOut, type SignOutOptions, type SignOutResult } from './request/sign-out.js'

export {
  DEFAULT_API_URL,
  HANDOFF_QUERY_PARAM,
  REFRESH_COOKIE_NAME,
  SESSION_COOKIE_MAX_AGE_SECONDS,
  SESSION_COOKIE_NAME,
} from './constants.js'
