import { relativeRedirectLocation, authenticateRequest } from '@behalf/backend'
import { createMiddleware, type Register, type RequestMiddlewareAfterServer } from '@tanstack/react-start'

import type { BehalfMiddlewareOptions, BehalfRequestContext } from './context.js'

/** Request context that {@link behalfMiddleware} passes on to later middleware and handlers. */
export interface BehalfMiddlewareContext {
  behalf: BehalfRequestContext
}

export type BehalfMiddleware = RequestMiddlewareAfterServer<Register, undefined, BehalfMiddlewareContext>

/**
 * Creates the global request middleware that authenticates every request with
 * `authenticateRequest` from @behalf/backend, stores the result in the request context for
 * {@link auth}, adds its `Set-Cookie` headers to the response, and sends the redirect that
 * follows a handoff.
 *
 * TanStack Start also calls the `createStart` options in the browser, so creating the
 * middleware reads no configuration. A missing secret key fails the first request with an
 * error that names `BEHALF_SECRET_KEY`.
 */
export function behalfMiddleware(options: BehalfMiddlewareOptions = {}): BehalfMiddleware {
  return createMiddleware().server(async ({ request, next }) => {
    // Start's compiler removes this callback from the browser build. Importing the server
    // helpers here, not at the top of the module, keeps them out of the browser's module graph.
    const { appendResponseHeader, setResponseHeader } = await import('@tanstack/react-start/server')

    const requestState = await authenticateRequest(request, options)

    if (requestState.status === 'redirect' && requestState.redirectUrl !== null) {
      // A relative Location keeps the redirect on the host the browser used, whatever Host header came in.
      const headers = new Headers(requestState.headers)
      headers.set('Location', relativeRedirectLocation(requestState.redirectUrl))
      return new Response(null, { status: 303, headers })
    }

    // Start applies helper headers to whatever response the request ends with, including
    // redirects and errors thrown by handlers.
    const appendSetCookie = (cookies: string[]) => {
      if (cookies.length > 0) appendResponseHeader('set-cookie', cookies)
    }
    appendSetCookie(requestState.headers.getSetCookie())
    for (const [name, value] of requestState.headers) {
      if (name !== 'set-cookie') setResponseHeader(name, value)
    }

    return next({ context: { behalf: { requestState, request, options, appendSetCookie } } })
  })
}
