import { relativeRedirectLocation } from '@behalf/backend'
import {
  createAuthenticator,
  hasResponseHeaders,
  type AuthObject,
  type AuthenticateRequestOptions,
  type RequestState,
} from '@behalf/backend'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import fastifyPlugin from 'fastify-plugin'

import { requestHref, toAuthenticatableRequest, toWebRequest } from './request.js'
import { getRequestEntry, LazyRequestEntry, setRequestEntry } from './state.js'

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Auth state of the request, the same as `getAuth(request)`. Reading it throws when
     * behalfPlugin's onRequest hook has not run for the request.
     */
    readonly auth: AuthObject
  }
}

/** Options of {@link behalfPlugin}: those of `authenticateRequest` from @behalf/backend. */
export type BehalfPluginOptions = AuthenticateRequestOptions

/**
 * Authenticates every request with `authenticateRequest` from @behalf/backend in an onRequest
 * hook, stores the result for `getAuth(request)` and `request.auth`, forwards the `Set-Cookie` headers and sends the redirect that
 * follows a handoff.
 *
 * Wrapped with fastify-plugin, so the hook and the decorator apply to the instance that
 * registers it and to all its child contexts. The options and the `BEHALF_SECRET_KEY` and
 * `BEHALF_API_URL` environment variables are read at registration, once, and registration fails
 * when no secret key is configured, so a misconfigured app fails at start.
 */
async function behalfPluginFunction(fastify: Parameters<FastifyPluginAsync>[0], pluginOptions: BehalfPluginOptions): Promise<void> {
  const options = pickAuthenticateOptions(pluginOptions)
  const authenticate = createAuthenticator(options)

  if (fastify.hasRequestDecorator('auth')) {
    throw new Error(
      'request.auth is already decorated: behalfPlugin is registered twice, or another plugin uses request.auth. ' +
        'Register behalfPlugin once, on the root instance.',
    )
  }
  fastify.decorateRequest('auth', {
    getter(this: FastifyRequest) {
      return getRequestEntry(this, 'request.auth').state.toAuth()
    },
  })

  // A callback hook rather than an async one, so that a request whose cached session token is
  // verified without a promise goes on in the same turn.
  fastify.addHook('onRequest', function behalfOnRequest(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
    let href: string
    let result: RequestState | Promise<RequestState>
    try {
      href = requestHref(request)
    } catch (error) {
      done(Object.assign(new Error(`Behalf cannot authenticate this request: ${(error as Error).message}`), { statusCode: 400 }))
      return
    }
    try {
      result = authenticate(toAuthenticatableRequest(request, href))
    } catch (error) {
      done(error as Error)
      return
    }

    if (result instanceof Promise) {
      result.then((state) => continueWithState(request, reply, done, state, href, options), done)
    } else {
      continueWithState(request, reply, done, result, href, options)
    }
  })
}

function continueWithState(
  request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
  state: RequestState,
  href: string,
  options: AuthenticateRequestOptions,
): void {
  try {
    setRequestEntry(request, new LazyRequestEntry(state, options, () => toWebRequest(request, href)))
    if (hasResponseHeaders(state)) applyHeaders(reply, state.headers)
  } catch (error) {
    done(error as Error)
    return
  }

  if (state.status === 'redirect' && state.redirectUrl !== null) {
    // A relative Location keeps the redirect on the host the browser used, whatever Host header
    // came in. A callback hook that replies does not call done.
    try {
      reply.redirect(relativeRedirectLocation(state.redirectUrl), 303)
    } catch (error) {
      done(error as Error)
    }
    return
  }
  done()
}

export const behalfPlugin = fastifyPlugin(behalfPluginFunction, { fastify: '5.x', name: '@behalf/fastify' })

// Fastify passes the registration options object through, so only the fields that
// authenticateRequest reads are kept.
function pickAuthenticateOptions(options: BehalfPluginOptions): AuthenticateRequestOptions {
  const { secretKey, apiUrl, issuer, authorizedParties, jwtKey, signInUrl } = options
  return { secretKey, apiUrl, issuer, authorizedParties, jwtKey, signInUrl }
}

function applyHeaders(reply: FastifyReply, headers: Headers): void {
  // Fastify appends each `set-cookie` value, so cookies set by the route or @fastify/cookie are kept.
  for (const cookie of headers.getSetCookie()) reply.header('set-cookie', cookie)
  for (const [name, value] of headers) {
    if (name !== 'set-cookie') reply.header(name, value)
  }
}

/**
 * Returns the auth state of a request that went through {@link behalfPlugin}. Throws when the
 * plugin did not run, because reading "signed out" there would hide the mistake.
 */
export function getAuth(request: FastifyRequest): AuthObject {
  return getRequestEntry(request, 'getAuth(request)').state.toAuth()
}

/** Returns the full request state (status, reason, message), for logging why a request is signed out. */
export function getRequestState(request: FastifyRequest): RequestState {
  return getRequestEntry(request, 'getRequestState(request)').state
}
