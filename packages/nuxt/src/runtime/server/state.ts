import type { AuthenticateRequestOptions, RequestState } from '@behalf/backend'
import type { H3Event } from 'h3'

/** Entry that the server middleware stores for one request. */
export interface RequestEntry {
  state: RequestState
  /** The Web request that was authenticated. */
  request: Request
  options: AuthenticateRequestOptions
}

// A WeakMap keeps the full state off event.context, where only the documented auth() lives,
// and it disappears with the event.
const entries = new WeakMap<H3Event, RequestEntry>()

export function setRequestEntry(event: H3Event, entry: RequestEntry): void {
  entries.set(event, entry)
}

export function getRequestEntry(event: H3Event, caller: string): RequestEntry {
  const entry = entries.get(event)
  if (entry === undefined) {
    throw new Error(
      `${caller} found no Behalf auth state on this request. Add '@behalf/nuxt' to the modules in nuxt.config, ` +
        'and call it from a server route: Nitro runs the files in server/middleware/ before the middleware of modules.',
    )
  }
  return entry
}
