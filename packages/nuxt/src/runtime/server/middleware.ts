import { relativeRedirectLocation, authenticateRequest } from '@behalf/backend'
import { appendResponseHeader, defineEventHandler, sendRedirect, setResponseHeader, type H3Event } from 'h3'

import { resolveBehalfOptions } from './options.js'
import { toWebRequest } from './request.js'
import { setRequestEntry } from './state.js'

/**
 * Server middleware that authenticates every request with `authenticateRequest` from
 * @behalf/backend, sets `event.context.auth`, adds the `Set-Cookie` headers to the response,
 * and sends the redirect that follows a handoff.
 */
export default defineEventHandler(async (event) => {
  const options = resolveBehalfOptions(event)
  const request = toWebRequest(event)
  const state = await authenticateRequest(request, options)

  setRequestEntry(event, { state, request, options })
  event.context.auth = () => state.toAuth()
  applyHeaders(event, state.headers)

  if (state.status === 'redirect' && state.redirectUrl !== null) {
    // A relative Location keeps the redirect on the host the browser used, whatever Host header came in.
    return sendRedirect(event, relativeRedirectLocation(state.redirectUrl), 303)
  }
})

function applyHeaders(event: H3Event, headers: Headers): void {
  for (const cookie of headers.getSetCookie()) appendResponseHeader(event, 'set-cookie', cookie)
  for (const [name, value] of headers) {
    if (name !== 'set-cookie') setResponseHeader(event, name, value)
  }
}
