import type { AuthenticateRequestOptions, RequestState } from '@behalf/backend'
import { getGlobalStartContext } from '@tanstack/react-start'

/** Options of `behalfMiddleware`: those of `authenticateRequest` from @behalf/backend. */
export type BehalfMiddlewareOptions = AuthenticateRequestOptions

/** Entry that `behalfMiddleware` adds to the request context under the `behalf` key. */
export interface BehalfRequestContext {
  /** Outcome of `authenticateRequest` for this request. */
  requestState: RequestState
  /** The request that was authenticated. */
  request: Request
  options: BehalfMiddlewareOptions
  /**
   * Adds `Set-Cookie` values to this request's response through Start's response helpers,
   * which replace an earlier value for the same cookie.
   */
  appendSetCookie(cookies: string[]): void
}

/**
 * Returns the Behalf entry of the current request's context. Throws outside a request and when
 * `behalfMiddleware` did not run for the request, because returning a signed-out state there
 * would hide the mistake.
 */
export function getBehalfContext(caller: string): BehalfRequestContext {
  let context: Record<string, unknown> | undefined
  try {
    context = getGlobalStartContext() as Record<string, unknown> | undefined
  } catch (error) {
    throw new Error(
      `${caller} must run on the server while TanStack Start handles a request: in a server route handler, ` +
        `a server function, or a loader during server rendering. ${(error as Error).message}`,
      { cause: error },
    )
  }

  const entry = context?.behalf as BehalfRequestContext | undefined
  if (entry === undefined) {
    throw new Error(
      `${caller} found no Behalf auth state for this request. Add behalfMiddleware() to requestMiddleware ` +
        'in src/start.ts: createStart(() => ({ requestMiddleware: [behalfMiddleware()] })).',
    )
  }
  return entry
}

/** Returns the Behalf entry of the current request's context, or undefined outside a request. */
export function findBehalfContext(): BehalfRequestContext | undefined {
  try {
    const context = getGlobalStartContext() as Record<string, unknown> | undefined
    return context?.behalf as BehalfRequestContext | undefined
  } catch {
    return undefined
  }
}
