import { createAgentTasksApi, type AgentTasksApi } from './api/agent-tasks.js'
import { createHandoffsApi, type HandoffsApi } from './api/handoffs.js'
import { createApiRequester } from './api/request.js'
import { createSessionsApi, type SessionsApi } from './api/sessions.js'
import { createUsersApi, type UsersApi } from './api/users.js'
import { resolveApiUrl, resolveSecretKey } from './config.js'
import { authenticateRequest, type AuthenticateRequestOptions, type RequestState } from './request/authenticate.js'
import { verifyToken, type VerifyTokenOptions } from './tokens/verify.js'
import type { SessionClaims } from './tokens/claims.js'

export interface ClientOptions {
  /** Secret key (`sk_test_…` or `sk_live_…`). Defaults to the `BEHALF_SECRET_KEY` environment variable. */
  secretKey?: string
  /** Behalf server URL. Defaults to `BEHALF_API_URL`, then `http://localhost:4000`. */
  apiUrl?: string
}

export interface BehalfClient {
  /** Normalized server URL, without a trailing slash. */
  readonly apiUrl: string
  agentTasks: AgentTasksApi
  users: UsersApi
  sessions: SessionsApi
  handoffs: HandoffsApi
  /** {@link verifyToken} with this client's `apiUrl` as default. */
  verifyToken(token: string, options?: VerifyTokenOptions): Promise<SessionClaims>
  /** {@link authenticateRequest} with this client's secret key and `apiUrl` as defaults. */
  authenticateRequest(request: Request, options?: AuthenticateRequestOptions): Promise<RequestState>
}

/**
 * Creates a Backend API client. Throws a {@link BehalfConfigurationError} at once when no
 * secret key is given or set in `BEHALF_SECRET_KEY`, rather than on the first request.
 */
export function createClient(options: ClientOptions = {}): BehalfClient {
  const apiUrl = resolveApiUrl(options.apiUrl)
  const secretKey = resolveSecretKey(options.secretKey)
  const request = createApiRequester({ apiUrl, secretKey })

  return {
    apiUrl,
    agentTasks: createAgentTasksApi(request),
    users: createUsersApi(request),
    sessions: createSessionsApi(request),
    handoffs: createHandoffsApi(request),
    verifyToken: (token, verifyOptions) => verifyToken(token, { apiUrl, ...verifyOptions }),
    authenticateRequest: (incoming, authenticateOptions) =>
      authenticateRequest(incoming, { secretKey, apiUrl, ...authenticateOptions }),
  }
}
