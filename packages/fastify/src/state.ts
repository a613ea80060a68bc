import type { AuthenticateRequestOptions, RequestState } from '@behalf/backend'
import type { FastifyRequest } from 'fastify'

/** Entry that behalfPlugin stores for one Fastify request. */
export interface RequestEntry {
  state: RequestState
  /** The Web request that was authenticated. */
  request: Request
  options: AuthenticateRequestOptions
}

// The request state and the Web request stay off the public request decoration, so that
// user code sees only `request.auth`.
const entries = new WeakMap<FastifyRequest, RequestEntry>()

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

export function setRequestEntry(request: FastifyRequest, entry: RequestEntry): void {
  entries.set(request, entry)
}

export function getRequestEntry(request: FastifyRequest, caller: string): RequestEntry {
  const entry = entries.get(request)
  if (entry === undefined) {
    throw new Error(
      `${caller} found no Behalf auth state on this request. ` +
        'Register the plugin with `await fastify.register(behalfPlugin)` before the routes, and call it ' +
        'from a preHandler, a route handler or a later hook, not from an onRequest hook added before the plugin.',
    )
  }
  return entry
}
