/** Name of the app cookie that stores the session token (a short-lived JWT). */
export const SESSION_COOKIE_NAME = '__behalf_session'

/** Name of the app cookie that stores the refresh token used to mint new session tokens. */
export const REFRESH_COOKIE_NAME = '__behalf_refresh'

/**
 * Name of the query parameter that carries a handoff code from the Behalf server to the app.
 * The server appends it to the redirect URL after an agent task is accepted or a person signs in.
 */
export const HANDOFF_QUERY_PARAM = '__behalf_handoff'

/** API URL used when neither `apiUrl` nor `BEHALF_API_URL` is set. */
export const DEFAULT_API_URL = 'http://localhost:4000'

/** Lifetime of both app cookies, in seconds (7 days). */
// The server, not the cookie, decides when a session ends: once a refresh is rejected the
// middleware clears both cookies, so a cookie that outlives its session does no harm.
export const SESSION_COOKIE_MAX_AGE_SECONDS = 7 * 24 * 60 * 60

/** Clock-skew leeway applied to the `exp` and `nbf` claims of session tokens, in seconds. */
export const CLOCK_SKEW_LEEWAY_SECONDS = 5

/** Time allowed for one Backend API request, response body included, in milliseconds. */
// A hung server must not hang every app request that needs a handoff exchange or a refresh.
export const API_REQUEST_TIMEOUT_MS = 10_000

export const SDK_VERSION = '0.1.0'
