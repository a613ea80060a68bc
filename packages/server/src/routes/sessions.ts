import { Hono } from 'hono'
import { z } from 'zod'

import { parseInput, readJsonObject } from '../http/input.js'
import { assertKnownQueryKeys, queryEnum, queryInteger } from '../http/query.js'
import { sendJson } from '../http/respond.js'
import type { AppEnv } from '../http/types.js'
import type { ServiceContext } from '../services/context.js'
import { exchangeHandoffCode, getSession, listSessions, refreshSessionToken, revokeSession } from '../services/sessions.js'

const origin = z
  .string()
  .max(2048)
  .refine((value) => {
    try {
      return new URL(value).origin === value
    } catch {
      return false
    }
  }, 'origin must be an origin such as https://app.example.com, without a path')

const exchangeBody = z.strictObject({ code: z.string().min(1).max(256), origin })
const refreshBody = z.strictObject({ refresh_token: z.string().min(1).max(256), origin })

/** `/v1/sessions`, plus the two extensions that app middleware uses to obtain session tokens. */
export function sessionRoutes(ctx: ServiceContext) {
  const app = new Hono<AppEnv>()

  app.get('/', async (c) => {
    assertKnownQueryKeys(c, ['user_id', 'status', 'limit', 'offset'])
    const sessions = await listSessions(ctx, {
      userId: c.req.query('user_id') || null,
      status: queryEnum(c, 'status', ['active', 'revoked', 'expired'] as const),
      limit: queryInteger(c, 'limit', 10, 1, 500),
      offset: queryInteger(c, 'offset', 0, 0, Number.MAX_SAFE_INTEGER),
    })
    return sendJson(c, sessions)
  })

  app.post('/refresh', async (c) => {
    const body = parseInput(refreshBody, await readJsonObject(c))
    return sendJson(c, await refreshSessionToken(ctx, body.refresh_token, body.origin))
  })

  app.get('/:sessionId', async (c) => sendJson(c, await getSession(ctx, c.req.param('sessionId'))))

  app.post('/:sessionId/revoke', async (c) => {
    parseInput(z.strictObject({}), await readJsonObject(c))
    return sendJson(c, await revokeSession(ctx, c.req.param('sessionId'), { type: 'secret_key', id: c.get('secretKeyId') }, c.get('meta')))
  })

  return app
}

export function handoffRoutes(ctx: ServiceContext) {
  const app = new Hono<AppEnv>()
  app.post('/exchange', async (c) => {
    const body = parseInput(exchangeBody, await readJsonObject(c))
    return sendJson(c, await exchangeHandoffCode(ctx, body.code, body.origin, c.get('meta')))
  })
  return app
}
