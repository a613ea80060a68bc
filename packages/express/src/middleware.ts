import { authenticateRequest, createClient, type AuthObject, type AuthenticateRequestOptions, type RequestState } from '@behalf/backend'
import type { NextFunction, Request as ExpressRequest, RequestHandler, Response as ExpressResponse } from 'express'

import { requestUrl, toAuthenticatableRequest, toWebRequest } from './request.js'
import { getRequestEntry, setRequestEntry } from './state.js'

export type BehalfMiddlewareOptions = AuthenticateRequestOptions

/**
 * Creates the middleware that authenticates every request with `authenticateRequest` from
 * @behalf/backend, stores the result for {@link getAuth}, forwards its `Set-Cookie` headers,
 * and sends the redirect that follows a handoff.
 *
 * Throws at once when no secret key is configured, so a misconfigured app fails at start.
 */
export function behalfMiddleware(options: BehalfMiddlewareOptions = {}): RequestHandler {
  createClient({ secretKey: options.secretKey, apiUrl: options.apiUrl })

  return async function behalfMiddleware(req: ExpressRequest, res: ExpressResponse, next: NextFunction): Promise<void> {
    let url: URL
    try {
      url = requestUrl(req)
    } catch (error) {
      next(Object.assign(new Error(`Behalf cannot authenticate this request: ${(error as Error).message}`), { status: 400 }))
      return
    }

    try {
      const state = await authenticateRequest(toAuthenticatableRequest(req, url), options)
      // signOut needs a Web Request, so it is built only when read.
      let webRequest: Request | undefined
      setRequestEntry(req, {
        state,
        options,
        get request() {
          webRequest ??= toWebRequest(req, url)
          return webRequest
        },
      })
      applyHeaders(res, state.headers)

      if (state.status === 'redirect' && state.redirectUrl !== null) {
        // A relative Location keeps the redirect on the host the browser used, whatever Host header came in.
        const target = new URL(state.redirectUrl)
        res.redirect(303, `${target.pathname}${target.search}`)
        return
      }
      next()
    } catch (error) {
      next(error)
    }
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
