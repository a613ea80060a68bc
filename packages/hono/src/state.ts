import { hasResponseHeaders as stateHasResponseHeaders, type AuthenticateRequestOptions, type AuthObject, type RequestState } from '@behalf/backend'

/** Entry stored for one Web request by `withBehalf` or `behalfMiddleware`, whichever runs first. */
export interface RequestEntry {
  state: RequestState
  options: AuthenticateRequestOptions
  /** `Set-Cookie` headers that delete the auth cookies, once `signOut` ran. They replace the state's cookies. */
  signOutHeaders: Headers | null
}

// Keyed by the Web Request, so that a Fetch handler called from a Hono route reuses the state
// of the Hono middleware instead of authenticating (and refreshing) a second time.
const entries = new WeakMap<Request, RequestEntry>()

/** Stores the entry and defines `request.auth` as a read-only property. */
export function setRequestEntry(request: Request, state: RequestState, options: AuthenticateRequestOptions): RequestEntry {
  const entry: RequestEntry = { state, options, signOutHeaders: null }
  entries.set(request, entry)
  const auth: AuthObject = state.toAuth()
  Object.defineProperty(request, 'auth', { value: auth, enumerable: true, configurable: true, writable: false })
  return entry
}

export function findRequestEntry(request: Request): RequestEntry | undefined {
  return entries.get(request)
}

export function getRequestEntry(request: Request, caller: string): RequestEntry {
  const entry = entries.get(request)
  if (entry === undefined) {
    throw new Error(
      `${caller} found no Behalf auth state on this request. ` +
        'Wrap the Fetch handler with withBehalf(handler), or add app.use(behalfMiddleware()) in Hono before the routes that call it.',
    )
  }
  return entry
}

/** Headers to add to the response of a request: the state's cookies, or the deleting cookies after sign-out. */
export function responseHeaders(entry: RequestEntry): Headers {
  return entry.signOutHeaders ?? entry.state.headers
}

/** Returns whether {@link responseHeaders} has any header, without creating the state's empty `Headers`. */
export function hasResponseHeaders(entry: RequestEntry): boolean {
  if (entry.signOutHeaders !== null) return entry.signOutHeaders.keys().next().done !== true
  return stateHasResponseHeaders(entry.state)
}
