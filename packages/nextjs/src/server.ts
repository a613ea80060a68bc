import {
  authenticateRequest,
  clearAuthCookies,
  createClient,
  signOut as signOutRequest,
  type AuthObject,
  type BehalfClient,
} from '@behalf/backend'
import { cookies, headers } from 'next/headers'
import { NextResponse } from 'next/server'

import { resolveSecretKey } from './config.js'
import { FORWARDED_SIGNATURE_HEADER, FORWARDED_STATE_HEADER, verifyForwardedState, type ForwardedState } from './forwarded-state.js'

export { behalfMiddleware, type BehalfMiddlewareOptions } from './proxy.js'
export {
  createClient,
  type Actor,
  type AuthObject,
  type BehalfClient,
  type SignedInAuthObject,
  type SignedOutAuthObject,
} from '@behalf/backend'

const MISSING_PROXY_MESSAGE =
  'found no Behalf auth state on this request. Export behalfMiddleware() from proxy.ts ' +
  '(next to the app folder, or in src/) and make its matcher include this route. ' +
  'Server actions run on the route of their page, so the matcher must include that page.'

/**
 * Reads and checks the state that proxy.ts forwarded. Throws when the proxy did not run for
 * this request, because returning "signed out" there would hide the mistake.
 */
async function readForwardedState(caller: string): Promise<{ state: ForwardedState; secretKey: string }> {
  const requestHeaders = await headers()
  const value = requestHeaders.get(FORWARDED_STATE_HEADER)
  const signature = requestHeaders.get(FORWARDED_SIGNATURE_HEADER)
  if (value === null || signature === null) throw new Error(`${caller} ${MISSING_PROXY_MESSAGE}`)

  const secretKey = resolveSecretKey(undefined)
  let state: ForwardedState | null = null
  try {
    state = await verifyForwardedState(value, signature, secretKey)
  } catch {
    state = null
  }
  if (state === null) {
    throw new Error(
      `${caller} found Behalf auth state on this request that was not signed with BEHALF_SECRET_KEY. ` +
        'Either proxy.ts did not run for this route and the client sent the headers, or behalfMiddleware() ' +
        'was given a secretKey other than BEHALF_SECRET_KEY. auth() runs apart from proxy.ts and reads ' +
        'the key from BEHALF_SECRET_KEY, so set the same key there.',
    )
  }
  return { state, secretKey }
}

/**
 * Returns the auth object of the current request, which `behalfMiddleware()` in proxy.ts
 * authenticated. After a refresh it holds the refreshed session. Works in route handlers,
 * server components and server actions. Throws when proxy.ts did not run for the request.
 */
export async function auth(): Promise<AuthObject> {
  const { state, secretKey } = await readForwardedState('auth()')

  // The session token is verified once more to build the auth object. The SDK caches verified
  // tokens, and its clock-skew leeway covers a token that expires between proxy and rendering.
  const requestHeaders = new Headers()
  if (state.sessionToken !== null) requestHeaders.set('Authorization', `Bearer ${state.sessionToken}`)
  const requestState = await authenticateRequest(new Request(state.url, { headers: requestHeaders }), {
    ...state.options,
    secretKey,
  })
  return requestState.toAuth()
}

let environmentClient: BehalfClient | undefined
const clientsByApiUrl = new Map<string, BehalfClient>()

/**
 * Returns a Backend API client with the secret key from `BEHALF_SECRET_KEY`. Inside a request
 * that proxy.ts handled, it uses the proxy's `apiUrl`. Elsewhere (scripts, build time) it
 * uses `BEHALF_API_URL`. Throws an error naming `BEHALF_SECRET_KEY` when no key is set.
 */
export async function behalfClient(): Promise<BehalfClient> {
  const apiUrl = await forwardedApiUrl()
  if (apiUrl === undefined) {
    environmentClient ??= createClient()
    return environmentClient
  }

  let client = clientsByApiUrl.get(apiUrl)
  if (client === undefined) {
    client = createClient({ apiUrl })
    clientsByApiUrl.set(apiUrl, client)
  }
  return client
}

async function forwardedApiUrl(): Promise<string | undefined> {
  let value: string | null
  try {
    value = (await headers()).get(FORWARDED_STATE_HEADER)
  } catch {
    // headers() throws outside a request, where the environment is the only configuration.
    return undefined
  }
  if (value === null) return undefined
  return (await readForwardedState('behalfClient()')).state.options.apiUrl
}

/**
 * Revokes the current request's session on the Behalf server and deletes the auth cookies.
 * Call it from a server action or a route handler, where Next.js lets code set cookies.
 * The cookies are deleted even when the revoke call fails. The error is then rethrown,
 * because the server-side session may still be active.
 */
export async function signOut(): Promise<void> {
  const { state, secretKey } = await readForwardedState('signOut()')
  const currentAuth = await auth()
  const request = new Request(state.url)

  try {
    await signOutRequest(request, { ...state.options, secretKey, sessionId: currentAuth.sessionId ?? undefined })
  } finally {
    // NextResponse parses the SDK's Set-Cookie values into the shape that cookies().set() takes.
    const cookieStore = await cookies()
    for (const cookie of new NextResponse(null, { headers: clearAuthCookies(request) }).cookies.getAll()) {
      cookieStore.set(cookie)
    }
  }
}
