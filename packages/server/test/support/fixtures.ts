import { randomBytes } from 'node:crypto'

import { expect } from 'vitest'

import type { Database } from '../../src/db/schema.js'
import { readResponse, TEST_USER_AGENT, type ApiResponse, type TestServer } from './server.js'

/** Redirect target of the tests' agent tasks: loopback, which development instances allow on any port. */
export const APP_ORIGIN = 'http://localhost:3000'
export const APP_REDIRECT_URL = `${APP_ORIGIN}/dashboard`
export const HANDOFF_PARAMETER = '__behalf_handoff'

/** Returns a random suffix that keeps emails, usernames and agent names unique across the tests of one server. */
export function uniqueSuffix(): string {
  return randomBytes(6).toString('hex')
}

export interface CreatedUser {
  id: string
  email: string
  username: string
  phone: string
}

/** Creates a user through the Backend API with an email, a username and a phone number, all unique. */
export async function createUser(server: TestServer, fields: Record<string, unknown> = {}): Promise<CreatedUser> {
  const suffix = uniqueSuffix()
  const email = `user-${suffix}@example.com`
  const username = `user_${suffix}`
  const phone = `+1415${String(parseInt(suffix.slice(0, 7), 16) % 10_000_000).padStart(7, '0')}`
  const response = await server.api('POST', '/v1/users', { email_address: [email], username, phone_number: [phone], ...fields })
  expect(response.status, response.text).toBe(200)
  return { id: response.body.id, email, username, phone }
}

export interface CreatedTask {
  agentId: string
  agentTaskId: string
  url: string
  ticket: string
}

/** Creates an agent task for `userId` that redirects to APP_REDIRECT_URL; `fields` overrides any body field. */
export async function createTask(server: TestServer, userId: string, fields: Record<string, unknown> = {}): Promise<CreatedTask> {
  const response = await server.api('POST', '/v1/agents/tasks', {
    on_behalf_of: { user_id: userId },
    permissions: '*',
    agent_name: 'test-agent',
    task_description: 'Automated test login',
    redirect_url: APP_REDIRECT_URL,
    ...fields,
  })
  expect(response.status, response.text).toBe(200)
  const ticket = new URL(response.body.url).searchParams.get('ticket') ?? ''
  return { agentId: response.body.agent_id, agentTaskId: response.body.agent_task_id, url: response.body.url, ticket }
}

/** Visits a task URL the way a browser's first request does, without following the redirect. */
export function visit(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Response> {
  return fetch(url, { method, redirect: 'manual', headers: { 'User-Agent': TEST_USER_AGENT, ...headers } })
}

/** Returns the handoff code of a redirect's Location header, or null. */
export function handoffCodeOf(response: Response): string | null {
  const location = response.headers.get('location')
  return location === null ? null : new URL(location).searchParams.get(HANDOFF_PARAMETER)
}

/** Visits a task URL, expects the 303, and returns the handoff code. */
export async function acceptTask(url: string): Promise<string> {
  const response = await visit(url)
  expect(response.status, await response.clone().text()).toBe(303)
  const code = handoffCodeOf(response)
  expect(code).not.toBeNull()
  return code as string
}

export interface SessionTokens {
  session_id: string
  session_token: string
  refresh_token: string
}

export function exchangeCode(server: TestServer, code: string, origin = APP_ORIGIN): Promise<ApiResponse> {
  return server.api('POST', '/v1/handoffs/exchange', { code, origin })
}

/** Exchanges a handoff code and expects it to work. */
export async function exchangeOk(server: TestServer, code: string, origin = APP_ORIGIN): Promise<SessionTokens> {
  const response = await exchangeCode(server, code, origin)
  expect(response.status, response.text).toBe(200)
  return response.body as SessionTokens
}

export function refresh(server: TestServer, refreshToken: string, origin = APP_ORIGIN): Promise<ApiResponse> {
  return server.api('POST', '/v1/sessions/refresh', { refresh_token: refreshToken, origin })
}

/** Creates a user and an agent task, accepts it and exchanges the code: a signed-in agent session. */
export async function agentSession(server: TestServer, taskFields: Record<string, unknown> = {}) {
  const user = await createUser(server)
  const task = await createTask(server, user.id, taskFields)
  const tokens = await exchangeOk(server, await acceptTask(task.url))
  return { user, task, tokens }
}

export type CountedTable = keyof Database

export async function countRows(server: TestServer, table: CountedTable): Promise<number> {
  const row = await server.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow()
  return Number(row.count)
}

/** Counts the rows of each table that a rejected request must leave alone. */
export async function countWrites(server: TestServer): Promise<Record<string, number>> {
  const tables: CountedTable[] = ['agent_tasks', 'agents', 'users', 'user_identifiers', 'sessions', 'handoff_codes', 'audit_events']
  const counts: Record<string, number> = {}
  for (const table of tables) counts[table] = await countRows(server, table)
  return counts
}

/** Returns the first error of a Backend API error body. */
export function firstError(response: ApiResponse): { code: string; message: string; long_message: string; meta: Record<string, unknown> } {
  return response.body?.errors?.[0]
}
