import {
  relativeRedirectLocation,
  createAuthenticator,
  hasResponseHeaders,
  type AuthObject,
  type AuthenticateRequestOptions,
  type RequestState,
} from '@behalf/backend'
import type { NextFunction, Request as ExpressRequest, RequestHandler, Response as ExpressResponse } from 'express'

import { requestHref, toAuthenticatableRequest, toWebRequest } from './request.js'
import { getRequestEntry, LazyRequestEntry, setRequestEntry } from './state.js'

export type BehalfMiddlewareOptions = AuthenticateRequestOptions

/**
 * Creates the middleware that authenticates every request with `authenticateRequest` from
 * @behalf/backend, stores the result for {@link getAuth}, forwards its `Set-Cookie` headers,
 * and sends the redirect that follows a handoff.
 *
 * The options and the `BEHALF_SECRET_KEY` and `BEHALF_API_URL` environment variables are read
 * here, once, and it throws at once when no secret key is configured, so a misconfigured app
 * fails at start.
 */
export function behalfMiddleware(options: BehalfMiddlewareOptions = {}): RequestHandler {
  const authenticate = createAuthenticator(options)

  return function behalfMiddleware(req: ExpressRequest, res: ExpressResponse, next: NextFunction): void {
    let href: string
    try {
      href = requestHref(req)
    } catch (error) {
      next(Object.assign(new Error(`Behalf cannot authenticate this request: ${(error as Error).message}`), { status: 400 }))
      return
    }

    let result: RequestState | Promise<RequestState>
    try {
      result = authenticate(toAuthenticatableRequest(req, href))
    } catch (error) {
      next(error)
      return
    }
    // A cached session token is verified without a promise, so the request goes on in this turn.
    if (result instanceof Promise) {
      result.then((state) => continueWithState(req, res, next, state, href, options), next)
    } else {
      continueWithState(req, res, next, result, href, options)
    }
  }
}

function continueWithState(
  req: ExpressRequest,
  res: ExpressResponse,
  next: NextFunction,
  state: RequestState,
  href: string,
  options: BehalfMiddlewareOptions,
): void {
  try {
    setRequestEntry(req, new LazyRequestEntry(state, options, () => toWebRequest(req, href)))
    if (hasResponseHeaders(state)) applyHeaders(res, state.headers)

    if (state.status === 'redirect' && state.redirectUrl !== null) {
      // A relative Location keeps the redirect on the host the browser used, whatever Host header came in.
      res.redirect(303, relativeRedirectLocation(state.redirectUrl))
      return
    }
    next()
  } catch (error) {
    next(error)
  }
}

function applyHeaders(res: ExpressResponse, headers: Headers): void {
  for (const cookie of headers.getSetCookie()) res.append('Set-Cookie', cookie)
  for (const [name, value] of headers) {
    if (name !== 'set-cookie') res.setHeader(name, value)
  }
}

/**
 * Returns the auth state of a request that went through {@link behalfMiddleware}. Throws when
 * the middleware was not installed, because reading "signed out" there would hide the mistake.
 */
export function getAuth(req: ExpressRequest): AuthObject {
  return getRequestEntry(req, 'getAuth(req)').state.toAuth()
}

/** Returns the full request state (status, reason, message), for logging why a request is signed out. */
export function getRequestState(req: ExpressRequest): RequestState {
  return getRequestEntry(req, 'getRequestState(req)').state
}
