import { Hono } from 'hono'
import { z } from 'zod'

import { ApiError, invalidParam } from '../http/errors.js'
import { parseInput, readJsonObject } from '../http/input.js'
import { assertKnownQueryKeys, queryEnum, queryInteger } from '../http/query.js'
import { sendJson } from '../http/respond.js'
import type { AppEnv } from '../http/types.js'
import {
  createAgentTask,
  DEFAULT_SESSION_MAX_DURATION_SECONDS,
  DEFAULT_TASK_EXPIRES_IN_SECONDS,
  getAgentTask,
  listAgentTasks,
  MAX_DURATION_SECONDS,
  revokeAgentTask,
} from '../services/agent-tasks.js'
import type { ServiceContext } from '../services/context.js'

const durationSeconds = (name: string) =>
  z
    .number()
    .int(`${name} must be a whole number of seconds`)
    .min(1, `${name} must be at least 1 second`)
    .max(MAX_DURATION_SECONDS, `${name} must be at most ${MAX_DURATION_SECONDS} seconds (7 days)`)

const printableText = (name: string, max: number) =>
  z
    .string()
    .max(max, `${name} must be at most ${max} characters long`)
    .regex(/^[^\u0000-\u001f\u007f]*$/, `${name} must not contain control characters`)

const createAgentTaskBody = z.strictObject({
  on_behalf_of: z.strictObject({
    user_id: z.string().min(1, 'on_behalf_of.user_id must not be empty').max(128, 'on_behalf_of.user_id is too long').optional(),
    identifier: z.string().min(1, 'on_behalf_of.identifier must not be empty').max(320, 'on_behalf_of.identifier is too long').optional(),
  }),
  permissions: z.string(),
  agent_name: printableText('agent_name', 128).trim().min(1, 'agent_name must not be empty'),
  task_description: printableText('task_description', 1000),
  redirect_url: z.string().min(1, 'redirect_url must not be empty'),
  session_max_duration_in_seconds: durationSeconds('session_max_duration_in_seconds').optional(),
  expires_in_seconds: durationSeconds('expires_in_seconds').optional(),
})

const TASK_STATUSES = ['pending', 'accepted', 'revoked', 'expired'] as const

/** `/v1/agents/tasks`: create, revoke, and (extensions) read and list agent tasks. */
export function agentTaskRoutes(ctx: ServiceContext) {
  const app = new Hono<AppEnv>()

  app.post('/', async (c) => {
    const body = parseInput(createAgentTaskBody, await readJsonObject(c))

    const { user_id: userId, identifier } = body.on_behalf_of
    if ((userId === undefined) === (identifier === undefined)) {
      throw new ApiError(
        422,
        'form_param_value_invalid',
        'on_behalf_of needs exactly one of user_id and identifier',
        'Set on_behalf_of to {"user_id": "user_…"} or to {"identifier": "ada@example.com"}, not both and not neither.',
        { param_name: 'on_behalf_of' },
      )
    }
    if (body.permissions !== '*') {
      throw invalidParam('permissions', `permissions must be "*" (all of the user's permissions), the only value supported; got ${JSON.stringify(body.permissions)}.`)
    }

    const task = await createAgentTask(
      ctx,
      {
        onBehalfOf: userId !== undefined ? { userId } : { identifier: identifier as string },
        permissions: '*',
        agentName: body.agent_name,
        taskDescription: body.task_description,
        redirectUrl: body.redirect_url,
        sessionMaxDurationSeconds: body.session_max_duration_in_seconds ?? DEFAULT_SESSION_MAX_DURATION_SECONDS,
        expiresInSeconds: body.expires_in_seconds ?? DEFAULT_TASK_EXPIRES_IN_SECONDS,
      },
      c.get('secretKeyId'),
      c.get('meta'),
    )
    return sendJson(c, task)
  })

  app.get('/', async (c) => {
    assertKnownQueryKeys(c, ['user_id', 'agent_id', 'status', 'limit', 'offset'])
    const result = await listAgentTasks(ctx, {
      userId: c.req.query('user_id') || null,
      agentId: c.req.query('agent_id') || null,
      status: queryEnum(c, 'status', TASK_STATUSES),
      limit: queryInteger(c, 'limit', 10, 1, 500),
      offset: queryInteger(c, 'offset', 0, 0, Number.MAX_SAFE_INTEGER),
    })
    return sendJson(c, result)
  })

  app.get('/:agentTaskId', async (c) => sendJson(c, await getAgentTask(ctx, c.req.param('agentTaskId'))))

  app.post('/:agentTaskId/revoke', async (c) => {
    // Revoke takes no parameters, but an unknown one still deserves an error over silence.
    parseInput(z.strictObject({}), await readJsonObject(c))
    return sendJson(c, await revokeAgentTask(ctx, c.req.param('agentTaskId'), c.get('secretKeyId'), c.get('meta')))
  })

  return app
}
