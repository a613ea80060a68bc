import type { Context } from 'hono'
import { z } from 'zod'

import { ApiError, invalidParam, missingParam } from './errors.js'

/** Request bodies above this size are rejected before they are parsed. */
export const MAX_BODY_BYTES = 100 * 1024

function bodyTooLarge(): ApiError {
  return new ApiError(
    413,
    'request_body_too_large',
    'Request body is too large',
    `Request bodies are limited to ${MAX_BODY_BYTES} bytes. Send a smaller body.`,
    {},
    // The rest of the body stays unread, so this connection cannot carry another request.
    { Connection: 'close' },
  )
}

/**
 * Reads the body as UTF-8 text, stopping as soon as it passes MAX_BODY_BYTES, so a
 * chunked upload without Content-Length cannot make the server buffer it whole.
 */
export async function readBodyText(c: Context): Promise<string> {
  const declared = Number(c.req.header('content-length') ?? '0')
  if (declared > MAX_BODY_BYTES) throw bodyTooLarge()

  const stream = c.req.raw.body
  if (!stream) return ''

  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let received = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    received += value.byteLength
    if (received > MAX_BODY_BYTES) {
      await reader.cancel()
      throw bodyTooLarge()
    }
    chunks.push(value)
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(chunks))
}

/** Parses a JSON object body; an empty body is `{}` (a revoke sends none). */
export async function readJsonObject(c: Context): Promise<Record<string, unknown>> {
  const text = await readBodyText(c)
  if (text.trim() === '') return {}

  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw new ApiError(
      400,
      'malformed_request',
      'Request body is not valid JSON',
      `The request body could not be parsed as JSON (${(error as Error).message}). Send a JSON object.`,
    )
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ApiError(400, 'malformed_request', 'Request body must be a JSON object', 'Send a JSON object such as {"key": "value"}.')
  }

  const nulPath = findNulCharacter(parsed, [])
  if (nulPath !== null) {
    const name = nulPath.join('.') || 'body'
    throw invalidParam(name, `${name} must not contain the NUL character (\\u0000).`)
  }
  return parsed as Record<string, unknown>
}

/**
 * Returns the path of the first string (value or key) that contains U+0000, or null.
 * PostgreSQL cannot store that character in text, and no legitimate field needs it.
 */
function findNulCharacter(value: unknown, path: string[]): string[] | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null
  if (value === null || typeof value !== 'object') return null
  for (const [key, child] of Object.entries(value)) {
    if (key.includes('\u0000')) return [...path, key]
    const found = findNulCharacter(child, [...path, key])
    if (found) return found
  }
  return null
}

function pathName(path: readonly PropertyKey[]): string {
  return path.map(String).join('.')
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<PropertyKey, unknown>)[key]
  }
  return current
}

/** Converts a zod issue into a 422 that names the field and states what to send instead. */
export function issueToApiError(issue: z.core.$ZodIssue, input: unknown): ApiError {
  if (issue.code === 'unrecognized_keys') {
    const name = pathName([...issue.path, issue.keys[0] ?? ''])
    return new ApiError(422, 'form_param_unknown', `${name} is not a known parameter`, `Remove ${name} from the request body, or check its spelling.`, {
      param_name: name,
    })
  }

  const name = pathName(issue.path) || 'body'
  if (issue.code === 'invalid_type') {
    if (valueAt(input, issue.path) === undefined) return missingParam(name)
    return invalidParam(name, `${name} must be ${describeExpected(issue.expected)}.`, 'form_param_format_invalid')
  }
  return invalidParam(name, issue.message.endsWith('.') ? issue.message : `${issue.message}.`)
}

function describeExpected(expected: string): string {
  switch (expected) {
    case 'object':
      return 'an object'
    case 'array':
      return 'an array'
    case 'int':
      return 'a whole number'
    default:
      return `a ${expected}`
  }
}

/** Validates `input` against `schema` and returns the parsed value, or throws the 422 for the first problem. */
export function parseInput<Schema extends z.ZodType>(schema: Schema, input: unknown): z.output<Schema> {
  const result = schema.safeParse(input)
  if (!result.success) {
    // An unknown key usually explains the missing one next to it (agentName sent for agent_name), so it is reported first.
    const issues = result.error.issues
    const first = issues.find((issue) => issue.code === 'unrecognized_keys') ?? issues[0]
    throw first ? issueToApiError(first, input) : invalidParam('body', 'The request body is invalid.')
  }
  return result.data
}
