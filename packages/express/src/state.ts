import type { AuthenticateRequestOptions, RequestState } from '@behalf/backend'
import type { Request as ExpressRequest } from 'express'

/** Entry that behalfMiddleware stores for one Express request. */
export interface RequestEntry {
  state: RequestState
  /** The Web request that was authenticated. */
  request: Request
  options: AuthenticateRequestOptions
}

// A WeakMap keeps the state off the request object, so it cannot clash with `req.auth` set by
// other middleware, and it disappears with the request.
const entries = new WeakMap<ExpressRequest, RequestEntry>()

/**
 * Entry whose Web `Request` is built when first read: only `signOut` needs it, and building one
 * per request cost more than authenticating a signed-in request.
 */
export class LazyRequestEntry implements RequestEntry {
  #request: Request | undefined

  constructor(
    readonly state: RequestState,
    readonly options: AuthenticateRequestOptions,
    private readonly buildRequest: () => Request,
  ) {}

  get request(): Request {
    this.#request ??= this.buildRequest()
    return this.#request
  }
}

export function setRequestEntry(req: ExpressRequest, entry: RequestEntry): void {
  entries.set(req, entry)
}

export function getRequestEntry(req: ExpressRequest, caller: string): RequestEntry {
  const entry = entries.get(req)
  if (entry === undefined) {
    throw new Error(
      `${caller} found no Behalf auth state on this request. ` +
        'Add app.use(behalfMiddleware()) before the routes and middleware that call it.',
    )
  }
  return entry
}
