import type { AuthenticateRequestOptions, RequestState } from './authenticate.js'

/** Auth state that an adapter stores for one request, for `getAuth` and `signOut` to read. */
export interface RequestEntry {
  state: RequestState
  /** The Web request that was authenticated. */
  request: Request
  options: AuthenticateRequestOptions
}

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

export interface RequestEntryStore<Key extends object> {
  set(request: Key, entry: RequestEntry): void
  /** Returns the request's entry, or throws naming `caller` and how to install the adapter. */
  get(request: Key, caller: string): RequestEntry
}

/**
 * Creates the per-request store of a Node.js adapter. A WeakMap keeps the state off the
 * framework's request object, so it cannot clash with other middleware, and it disappears with
 * the request. `installHint` tells a developer how to install the adapter when it is missing.
 */
export function createRequestEntryStore<Key extends object>(installHint: string): RequestEntryStore<Key> {
  const entries = new WeakMap<Key, RequestEntry>()
  return {
    set(request, entry) {
      entries.set(request, entry)
    },
    get(request, caller) {
      const entry = entries.get(request)
      if (entry === undefined) throw new Error(`${caller} found no Behalf auth state on this request. ${installHint}`)
      return entry
    },
  }
}
