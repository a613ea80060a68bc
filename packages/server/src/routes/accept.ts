import { Hono, type Context } from 'hono'

import { rateLimitError, type TokenBucketLimiter } from '../http/rate-limit.js'
import { sendApiError } from '../http/respond.js'
import type { AppEnv } from '../http/types.js'
import { messagePage, PAGE_SECURITY_HEADERS } from '../pages/layout.js'
import { ACCEPT_PATH, acceptTicket, readTicketState, type AcceptFailure } from '../services/agent-tasks.js'
import { checkRedirectUrl } from '../redirects.js'
import type { ServiceContext } from '../services/context.js'
import { sha256Hex } from '../crypto/random.js'

interface FailureDescription {
  status: 403 | 404 | 409 | 410 | 422
  code: string
  title: string
  message: string
}

const FAILURES: Record<AcceptFailure, FailureDescription> = {
  unknown: {
    status: 404,
    code: 'ticket_not_found',
    title: 'Link not found',
    message: 'This sign-in link is not valid. Check that it was copied whole, or ask for a new one.',
  },
  used: {
    status: 409,
    code: 'ticket_already_used',
    title: 'Link already used',
    message: 'This sign-in link has already been used. Each link signs in once; ask for a new one.',
  },
  revoked: {
    status: 410,
    code: 'ticket_revoked',
    title: 'Link revoked',
    message: 'This sign-in link was revoked before it was used. Ask for a new one.',
  },
  expired: {
    status: 410,
    code: 'ticket_expired',
    title: 'Link expired',
    message: 'This sign-in link has expired. Ask for a new one.',
  },
  user_unavailable: {
    status: 403,
    code: 'user_unavailable',
    title: 'Account unavailable',
    message: 'The account this link signs in to is banned or was deleted, so no session was created.',
  },
  redirect_not_allowed: {
    status: 422,
    code: 'redirect_url_not_allowed',
    title: 'Destination not allowed',
    message: "The page this link leads to is no longer on the instance's allow-list, so no session was created.",
  },
}

function wantsJson(c: Context): boolean {
  const accept = c.req.header('accept') ?? ''
  return accept.includes('application/json') && !accept.includes('text/html')
}

function sendRateLimited(c: Context, retryAfter: number): Response | Promise<Response> {
  c.header('Retry-After', String(retryAfter))
  if (wantsJson(c)) return sendApiError(c, rateLimitError(retryAfter, 'client address'))
  return c.html(messagePage('Too many requests', `Too many sign-in links were opened from this address. Try again in ${retryAfter} seconds.`, 'too_many_requests'), 429)
}

function sendFailure(c: Context, failure: AcceptFailure): Response | Promise<Response> {
  const description = FAILURES[failure]
  if (wantsJson(c)) {
    const body = {
      errors: [{ code: description.code, message: description.title, long_message: description.message, meta: {} }],
      clerk_trace_id: c.get('traceId') as string,
    }
    return c.body(JSON.stringify(body), description.status, { 'Content-Type': 'application/json' })
  }
  return c.html(messagePage(description.title, description.message, description.code), description.status)
}

/** Serves the agent-task URL: a visit consumes the ticket, creates the session and hands it to the app. */
export function acceptRoutes(ctx: ServiceContext, limiter: TokenBucketLimiter) {
  const app = new Hono<AppEnv>()

  app.on(['GET', 'HEAD'], ACCEPT_PATH, async (c) => {
    for (const [name, value] of Object.entries(PAGE_SECURITY_HEADERS)) c.header(name, value)
    const ticket = c.req.query('ticket') ?? ''

    // Link previews and scanners send HEAD; it reports whether the link is usable and never consumes it.
    if (c.req.method === 'HEAD') {
      const task = await ctx.db.selectFrom('agent_tasks').select(['status', 'expires_at', 'redirect_url']).where('ticket_hash', '=', sha256Hex(ticket)).executeTakeFirst()
      const usable = task?.status === 'pending' && task.expires_at > Date.now() && checkRedirectUrl(task.redirect_url, ctx.config).ok
      return c.body(null, usable ? 200 : 404)
    }

    // A limited visit never consumes a link. Its ticket is only read, so that a used, revoked,
    // expired or unknown link is reported as such and only a usable one as a rate limit.
    const retryAfter = limiter.take(c.get('meta').ip ?? 'unknown')
    if (retryAfter > 0) {
      const failure = await readTicketState(ctx.db, sha256Hex(ticket), Date.now())
      return failure === 'pending' ? sendRateLimited(c, retryAfter) : sendFailure(c, failure)
    }

    const result = await acceptTicket(ctx, ticket, c.get('meta'))
    if (result.ok) return c.redirect(result.location, 303)
    return sendFailure(c, result.failure)
  })

  return app
}
