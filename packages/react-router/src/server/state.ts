import type { AuthenticateRequestOptions, RequestState } from '@behalf/backend'
import { createContext, type RouterContextProvider } from 'react-router'

/** Options of the middleware and the helpers: those of `authenticateRequest` from @behalf/backend. */
export type BehalfOptions = AuthenticateRequestOptions

/**
 * The part of a loader's, action's or middleware's arguments that Behalf reads. `Route.LoaderArgs`
 * and `Route.ActionArgs` from the generated route types fit it, with or without middleware.
 */
export interface BehalfRouteArgs {
  request: Request
  context: unknown
  /** The request's URL with React Router's `.data` suffix and internal query parameters removed (React Router 7.15 and later). */
  url?: URL
}

/** Auth state that behalfMiddleware stores in the router context for one request. */
export interface RequestEntry {
  state: RequestState
  request: Request
  options: BehalfOptions
  /**
   * Headers that the middleware adds to the response: the state's `Set-Cookie` values, or the
   * cookie deletions once `signOut` ran.
   */
  responseHeaders: Headers
}

export const behalfContext = createContext<RequestEntry | null>(null)

/**
 * Returns the entry that behalfMiddleware stored, or null when the context is not a
 * `RouterContextProvider` (middleware disabled) or the middleware did not run.
 */
export function readEntry(context: unknown): RequestEntry | null {
  if (!isRouterContextProvider(context)) return null
  return context.get(behalfContext) ?? null
}

// Checked by shape, not with instanceof: a server that loads react-router with require() and a
// build that imports it can hold two copies of the class (Node before 20.19, test runners).
function isRouterContextProvider(context: unknown): context is RouterContextProvider {
  if (typeof context !== 'object' || context === null) return false
  const candidate = context as { get?: unknown; set?: unknown }
  return typeof candidate.get === 'function' && typeof candidate.set === 'function'
}
