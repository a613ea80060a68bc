import { parseArgs } from 'node:util'

import { BehalfAPIError, BehalfConfigurationError, BehalfNetworkError, createClient, type BehalfClient, type User } from '@behalf/backend'

import { ConfigError } from './config.js'

/**
 * The CLI's Backend API commands: `agent-tasks` and `users`. They talk to a running server
 * through @behalf/backend with the same variables as an app, BEHALF_SECRET_KEY and
 * BEHALF_API_URL, so they work against a local or a deployed instance alike.
 */

export const API_USAGE = `  agent-tasks create --user <user id | email | phone | username> --redirect <url>
                     [--agent-name <name>] [--description <text>]
                     [--session-max-duration <seconds>] [--expires-in <seconds>] [--json]
                             Create an agent task and print its one-time URL.
  agent-tasks revoke <agent task id> [--json]
                             Revoke an agent task (and the session it created, if used).
  agent-tasks list [--user <user id>] [--status pending|accepted|revoked|expired] [--limit <n>] [--json]
                             List agent tasks, newest first.
  users create (--email <address> | --username <name>) [--first-name <name>]
               [--last-name <name>] [--password <password>] [--json]
                             Create a user; its email address counts as verified.
  users list [--email <address>] [--limit <n>] [--json]
                             List users, newest first.

These commands call a running server: set BEHALF_SECRET_KEY (and BEHALF_API_URL when it is not
http://localhost:4000).`

function createApiClient(): BehalfClient {
  try {
    return createClient()
  } catch (error) {
    if (error instanceof BehalfConfigurationError) throw new ConfigError(error.message)
    throw error
  }
}

function readSeconds(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined
  const value = Number(raw)
  if (!Number.isInteger(value) || value <= 0) throw new ConfigError(`${flag} ${JSON.stringify(raw)} is invalid: give a whole number of seconds above 0.`)
  return value
}

function readLimit(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 1 || value > 500) throw new ConfigError(`--limit ${JSON.stringify(raw)} is invalid: give a whole number from 1 to 500.`)
  return value
}

function requireFlag(flag: string, value: string | undefined, example: string): string {
  if (value === undefined || value === '') throw new ConfigError(`${flag} is missing, e.g. ${flag} ${example}.`)
  return value
}

function print(json: boolean | undefined, value: unknown, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`)
}

function describeUser(user: User): string {
  const email = user.primaryEmailAddress?.emailAddress ?? user.username ?? '(no email)'
  const name = [user.firstName, user.lastName].filter(Boolean).join(' ')
  return `${user.id}  ${email}${name ? `  ${name}` : ''}${user.banned ? '  banned' : ''}`
}

async function runAgentTasks(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      user: { type: 'string' },
      redirect: { type: 'string' },
      'agent-name': { type: 'string' },
      description: { type: 'string' },
      'session-max-duration': { type: 'string' },
      'expires-in': { type: 'string' },
      status: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
    },
  })
  const [action, id] = positionals

  if (action === 'create') {
    const user = requireFlag('--user', values.user, 'user_… or ada@example.com')
    const redirectUrl = requireFlag('--redirect', values.redirect, 'http://localhost:3000/dashboard')
    const sessionMaxDurationInSeconds = readSeconds('--session-max-duration', values['session-max-duration'])
    const expiresInSeconds = readSeconds('--expires-in', values['expires-in'])
    const task = await createApiClient().agentTasks.create({
      // Ids carry the user_ prefix; anything else is an email address, phone number or username.
      onBehalfOf: user.startsWith('user_') ? { userId: user } : { identifier: user },
      permissions: '*',
      agentName: values['agent-name'] ?? 'cli',
      taskDescription: values.description ?? 'Created with the behalf CLI',
      redirectUrl,
      sessionMaxDurationInSeconds,
      expiresInSeconds,
    })
    print(values.json, task, task.url)
    return
  }

  if (action === 'revoke') {
    if (!id) throw new ConfigError('agent-tasks revoke needs the task id: behalf agent-tasks revoke agtask_…')
    const task = await createApiClient().agentTasks.revoke(id)
    print(values.json, task, `Revoked ${task.agentTaskId}.`)
    return
  }

  if (action === 'list') {
    const statuses = ['pending', 'accepted', 'revoked', 'expired'] as const
    const status = values.status as (typeof statuses)[number] | undefined
    if (status !== undefined && !statuses.includes(status)) {
      throw new ConfigError(`--status ${JSON.stringify(values.status)} is invalid: use ${statuses.join(', ')}.`)
    }
    const list = await createApiClient().agentTasks.list({ userId: values.user, status, limit: readLimit(values.limit) })
    const lines = list.data.map((task) => `${task.agentTaskId}  ${task.status.padEnd(8)}  ${task.userId}  ${task.agentName}  ${new Date(task.createdAt).toISOString()}`)
    print(values.json, list, lines.length > 0 ? lines.join('\n') : 'No agent tasks.')
    return
  }

  throw new ConfigError(`Unknown agent-tasks command ${JSON.stringify(action ?? '')}. Use create, revoke or list.`)
}

async function runUsers(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      email: { type: 'string' },
      'first-name': { type: 'string' },
      'last-name': { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
    },
  })
  const [action] = positionals

  if (action === 'create') {
    if (!values.email && !values.username) throw new ConfigError('users create needs --email <address> or --username <name>.')
    const user = await createApiClient().users.create({
      emailAddress: values.email ? [values.email] : undefined,
      username: values.username,
      firstName: values['first-name'],
      lastName: values['last-name'],
      password: values.password,
    })
    print(values.json, user, describeUser(user))
    return
  }

  if (action === 'list') {
    const users = await createApiClient().users.list({ emailAddress: values.email, limit: readLimit(values.limit) })
    print(values.json, users, users.length > 0 ? users.map(describeUser).join('\n') : 'No users.')
    return
  }

  throw new ConfigError(`Unknown users command ${JSON.stringify(action ?? '')}. Use create or list.`)
}

/** Runs an API command; API and network errors become one clear line for the terminal. */
export async function runApiCommand(command: 'agent-tasks' | 'users', args: string[]): Promise<void> {
  try {
    await (command === 'agent-tasks' ? runAgentTasks(args) : runUsers(args))
  } catch (error) {
    if (error instanceof BehalfAPIError) {
      const [first] = error.errors
      const field = first?.meta?.paramName ? ` (${first.meta.paramName})` : ''
      throw new ApiCommandError(`${first?.longMessage || first?.message || error.message}${field} [${first?.code ?? error.status}]`)
    }
    if (error instanceof BehalfNetworkError) {
      throw new ApiCommandError(`Cannot reach the Behalf server at ${new URL(error.url).origin} (${error.message.replace(/\.+$/, '')}). Start it with "behalf start", or set BEHALF_API_URL.`)
    }
    throw error
  }
}

/** A failed API command: the message is complete and meant for the terminal as it is. */
export class ApiCommandError extends Error {
  override name = 'ApiCommandError'
}
