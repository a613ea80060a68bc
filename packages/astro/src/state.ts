import type { AuthenticateRequestOptions, RequestState } from '@behalf/backend'

/** Behalf's state for one request, stored on `context.locals` by the middleware. */
export interface RequestEntry {
  state: RequestState
  /** The request that was authenticated. */
  request: Request
  options: AuthenticateRequestOptions
  /** Headers that replace `state.headers` on the response, set by `signOut` to delete the cookies. */
  responseHeaders: Headers | null
}

// A registry symbol, so that two copies of this package in one bundle still find each other's
// entry. Symbol keys are skipped by `Object.keys(locals)` and `JSON.stringify(locals)`.
const ENTRY_KEY = Symbol.for('@behalf/astro.requestEntry')

type LocalsWithEntry = Record<symbol, RequestEntry | undefined>

export function setRequestEntry(locals: object, entry: RequestEntry): void {
  ;(locals as LocalsWithEntry)[ENTRY_KEY] = entry
}

export function findRequestEntry(locals: object): RequestEntry | undefined {
  return (locals as LocalsWithEntry)[ENTRY_KEY]
}

export function getRequestEntry(locals: object, caller: string): RequestEntry {
  const entry = findRequestEntry(locals)
  if (entry === undefined) {
    throw new Error(
      `${caller} found no Behalf auth state for this request. Add the behalf() integration to astro.config, ` +
        'or export behalfMiddleware() from src/middleware.ts. Prerendered pages have no request to authenticate: ' +
        'add `export const prerender = false` to pages that read auth.',
    )
  }
  return entry
}
