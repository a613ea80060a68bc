import type { ApiRequester } from './request.js'

export interface ExchangeHandoffParams {
  /** Handoff code from the `__behalf_handoff` query parameter. It works once, within 60 seconds. */
  code: string
  /** Origin of the app page that received the code. It must match the redirect URL the code was issued for. */
  origin: string
}

export interface HandoffSessionTokens {
  sessionId: string
  sessionToken: string
  refreshToken: string
}

export interface HandoffsApi {
  /**
   * Exchanges a handoff code for a session token and a refresh token. `authenticateRequest`
   * calls this, and apps rarely need it directly.
   */
  exchange(params: ExchangeHandoffParams): Promise<HandoffSessionTokens>
}

export function createHandoffsApi(request: ApiRequester): HandoffsApi {
  return {
    async exchange(params) {
      const wire = await request<{
        object: 'session_tokens'
        session_id: string
        session_token: string
        refresh_token: string
      }>({
        method: 'POST',
        path: '/v1/handoffs/exchange',
        body: { code: params.code, origin: params.origin },
      })
      return { sessionId: wire.session_id, sessionToken: wire.session_token, refreshToken: wire.refresh_token }
    },
  }
}
