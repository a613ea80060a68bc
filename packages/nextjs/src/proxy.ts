import { relativeRedirectLocation, authenticateRequest, type AuthenticateRequestOptions, type RequestState } from '@behalf/backend'
import { NextResponse, type NextProxy, type NextRequest } from 'next/server'

import { resolveSecretKey } from './config.js'
import {
  FORWARDED_HEADER_PREFIX,
  FORWARDED_SIGNATURE_HEADER,
  FORWARDED_STATE_HEADER,
  signForwardedState,
  type ForwardedState,
} from './forwarded-state.js'

export type BehalfMiddlewareOptions = AuthenticateRequestOptions

/**
 * Creates the proxy function for `proxy.ts`. For every request it matches, it runs
 * `authenticateRequest` from @behalf/backend, sends the redirect that follows a handoff, sets
 * the cookies of a refresh on the response, and hands the auth state to `auth()` in signed
 * request headers.
 *
 * Throws at once when no secret key is configured, so a misconfigured app fails when proxy.ts loads.
 */
export function behalfMiddleware(options: BehalfMiddlewareOptions = {}): NextProxy {
  const secretKey = resolveSecretKey(options.secretKey, options.apiUrl)

  return async function behalfMiddleware(request: NextRequest) {
    const state = await authenticateRequest(toWebRequest(request), options)

    if (state.status === 'redirect' && state.redirectUrl !== null) {
      const headers = new Headers(state.headers)
      // Next.js needs an absolute Location here and makes one on the request's own host relative.
      // The path is made safe first, so `//evil.example` cannot become another host.
      headers.set('Location', new URL(relativeRedirectLocation(state.redirectUrl), state.redirectUrl).href)
      return new NextResponse(null, { status: 303, headers })
    }

    const forwarded: ForwardedState = {
      version: 1,
      status: state.status === 'signed-in' ? 'signed-in' : 'signed-out',
      reason: state.reason,
      sessionToken: await state.toAuth().getToken(),
      url: request.url,
      options: forwardedOptions(options, request),
    }
    const { value, signature } = await signForwardedState(forwarded, secretKey)

    const requestHeaders = withoutForwardedHeaders(request.headers)
    requestHeaders.set(FORWARDED_STATE_HEADER, value)
    requestHeaders.set(FORWARDED_SIGNATURE_HEADER, signature)

    const response = NextResponse.next({ request: { headers: requestHeaders } })
    applyResponseHeaders(response, state)
    return response
  }
}

/**
 * Builds a plain Web `Request` with the URL, method and headers and no body, because
 * authentication never reads the body and a NextRequest's body can be read only once.
 */
function toWebRequest(request: NextRequest): Request {
  return new Request(request.url, { method: request.method, headers: request.headers })
}

/** Returns the verification options with the defaults that `authenticateRequest` applied to this request. */
function forwardedOptions(options: BehalfMiddlewareOptions, request: NextRequest): ForwardedState['options'] {
  return {
    apiUrl: options.apiUrl,
    issuer: options.issuer,
    authorizedParties: [...(options.authorizedParties ?? [new URL(request.url).origin])],
    jwtKey: options.jwtKey,
    signInUrl: options.signInUrl,
  }
}

/** Copies the request headers without any header a client could use to pose as the proxy. */
function withoutForwardedHeaders(incoming: Headers): Headers {
  const headers = new Headers(incoming)
  for (const name of [...headers.keys()]) {
    if (name.startsWith(FORWARDED_HEADER_PREFIX)) headers.delete(name)
  }
  return headers
}

function applyResponseHeaders(response: NextResponse, state: RequestState): void {
  for (const cookie of state.headers.getSetCookie()) response.headers.append('Set-Cookie', cookie)
  for (const [name, value] of state.headers) {
    if (name !== 'set-cookie') response.headers.set(name, value)
  }
}
