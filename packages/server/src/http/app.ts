import { getConnInfo } from '@hono/node-server/conninfo'
import { Hono } from 'hono'

import { newId } from '../crypto/random.js'
import { isDatabaseUnavailable } from '../db/database.js'
import { SecretKeyCache } from '../keys/secret-keys.js'
import { messagePage } from '../pages/layout.js'
import { acceptRoutes } from '../routes/accept.js'
import { agentTaskRoutes } from '../routes/agent-tasks.js'
import { hostedPageRoutes } from '../routes/hosted-pages.js'
import { handoffRoutes, sessionRoutes } from '../routes/sessions.js'
import { userRoutes } from '../routes/users.js'
import type { ServiceContext } from '../services/context.js'
import { ApiError, DATABASE_UNAVAILABLE, UNAUTHORIZED } from './errors.js'
import { sendApiError, sendJson } from './respond.js'
import { rateLimit, TokenBucketLimiter } from './rate-limit.js'
import type { AppEnv } from './types.js'

/**
 * Returns the client's address: the socket's peer, or with `trustedProxyHops` proxies in front, the
 * X-Forwarded-For entry that the outermost trusted proxy added. Entries further left are
 * written by the client and can be forged.
 */
function clientIp(c: Parameters<typeof getConnInfo>[0], trustedProxyHops: number): string | null {
  if (trustedProxyHops > 0) {
    const forwarded = (c.req.header('x-forwarded-for') ?? '').split(',').map((entry) => entry.trim()).filter(Boolean)
    const entry = forwarded[forwarded.length - trustedProxyHops]
    if (entry) return entry
  }
  try {
    return getConnInfo(c).remote.address ?? null
  } catch {
    return null
  }
}

function hasNulCharacter(url: string): boolean {
  // Without a percent sign nothing decodes, and the HTTP parser rejects a raw NUL in the request line.
  if (!url.includes('%')) return url.includes('\u0000')
  try {
    return decodeURIComponent(url).includes('\u0000')
  } catch {
    return /%00/.test(url)
  }
}

/** Builds the whole HTTP application: Backend API under /v1, the accept endpoint, hosted pages and JWKS. */
export function createApp(ctx: ServiceContext, options: { csrfKey: Buffer }) {
  const app = new Hono<AppEnv>()

  app.use(async (c, next) => {
    const traceId = newId('trace')
    c.set('traceId', traceId)
    c.set('meta', { ip: clientIp(c, ctx.config.trustedProxyHops), userAgent: c.req.header('user-agent') ?? null, traceId })

    // PostgreSQL cannot store U+0000, so a NUL in the path or query would otherwise reach a query and fail there.
    if (hasNulCharacter(c.req.url)) {
      return sendApiError(c, new ApiError(400, 'malformed_request', 'Request URL is invalid', 'The path or query contains an encoded NUL character (%00). Remove it.'))
    }

    // Below level info nothing is logged, so the timing and the log fields are skipped too.
    if (!ctx.logger.isLevelEnabled('info')) return next()

    const started = performance.now()
    await next()
    // The path only: query strings carry tickets and handoff codes, which must never reach a log.
    ctx.logger.info(
      { traceId, method: c.req.method, path: c.req.path, status: c.res.status, durationMs: Math.round((performance.now() - started) * 10) / 10 },
      'request completed',
    )
  })

  app.onError((error, c) => {
    if (error instanceof ApiError) return sendApiError(c, error)
    if (isDatabaseUnavailable(error)) {
      ctx.logger.warn({ traceId: c.get('traceId'), path: c.req.path, err: { message: error.message } }, 'database unavailable')
      return sendApiError(c, DATABASE_UNAVAILABLE)
    }
    ctx.logger.error({ traceId: c.get('traceId'), path: c.req.path, err: { message: error.message, stack: error.stack } }, 'request failed')
    return sendApiError(c, new ApiError(500, 'internal_error', 'Internal server error', `The server failed to handle the request. Quote trace id ${c.get('traceId')} when reporting it.`))
  })

  app.notFound((c) => {
    if (c.req.path.startsWith('/v1/')) {
      return sendApiError(c, new ApiError(404, 'resource_not_found', 'Not found', `No Backend API endpoint matches ${c.req.method} ${c.req.path}.`))
    }
    return c.html(messagePage('Page not found', 'There is nothing at this address.', 'not_found'), 404)
  })

  app.get('/.well-known/jwks.json', async (c) => {
    c.header('Cache-Control', 'public, max-age=300')
    return sendJson(c, await ctx.signingKeys.jwks())
  })
  app.get('/health', (c) => sendJson(c, { status: 'ok' }))

  // Every Backend API route needs a secret key; a missing, malformed, unknown or revoked one gets the same 401.
  // A revoked key is rejected within BEHALF_SECRET_KEY_CACHE_SECONDS, the lifetime of the cache.
  const secretKeys = new SecretKeyCache(ctx.db, ctx.config.secretKeyCacheSeconds * 1000)
  app.use('/v1/*', async (c, next) => {
    const header = c.req.header('authorization') ?? ''
    const match = /^Bearer\s+(\S+)$/i.exec(header)
    const secretKeyId = match?.[1] ? await secretKeys.findId(match[1]) : null
    if (!secretKeyId) return sendApiError(c, UNAUTHORIZED)
    c.set('secretKeyId', secretKeyId)
    await next()
  })
  app.use('/v1/*', rateLimit(new TokenBucketLimiter(ctx.config.rateLimits.backendApi), 'secret key', (c) => c.get('secretKeyId')))

  app.get('/v1/jwks', async (c) => sendJson(c, await ctx.signingKeys.jwks()))
  app.route('/v1/agents/tasks', agentTaskRoutes(ctx))
  app.route('/v1/users', userRoutes(ctx))
  app.route('/v1/sessions', sessionRoutes(ctx))
  app.route('/v1/handoffs', handoffRoutes(ctx))
  app.route('/', acceptRoutes(ctx, new TokenBucketLimiter(ctx.config.rateLimits.accept)))
  app.route('/', hostedPageRoutes(ctx, options.csrfKey, new TokenBucketLimiter(ctx.config.rateLimits.signIn)))

  return app
}
