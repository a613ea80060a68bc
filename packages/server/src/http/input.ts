import { IncomingMessage } from 'node:http'

import type { HttpBindings } from '@hono/node-server'
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
  const contentLength = c.req.header('content-length')
  const declared = Number(contentLength ?? '0')
  if (declared > MAX_BODY_BYTES) throw bodyTooLarge()

  // Node's HTTP parser ends a body with a Content-Length at that many bytes, so such a body
  // fits the limit and is read straight from the socket's stream. @hono/node-server would
  // otherwise build a web Request and stream for it, which took about 6 % of the CPU time of
  // an agent-task create.
  const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming
  if (contentLength !== undefined && incoming instanceof IncomingMessage) {
    return bodyDecoder.decode(await readIncomingBody(incoming))
  }

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
  return bodyDecoder.decode(Buffer.concat(chunks))
}

/** UTF-8 without `fatal`, so invalid bytes become U+FFFD; like `Request.text()`, it drops a leading byte order mark. */
const bodyDecoder = new TextDecoder('utf-8', { fatal: false })

/** Reads a request body to its end; rejects when the client goes away first. */
function readIncomingBody(incoming: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
    incoming.once('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)))
    incoming.once('error', reject)
    incoming.once('close', () => {
      if (!incoming.complete) reject(new Error('The client closed the connection before sending the whole request body.'))
    })
  })
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

  const problem = findUnstorableValue(parsed)
  if (problem !== null) {
    const name = problem.path.join('.') || 'body'
    if (problem.kind === 'nul') throw invalidParam(name, `${name} must not contain the NUL character (\\u0000).`)
    throw invalidParam(name, `${name} is nested more than ${MAX_JSON_DEPTH} levels deep. Flatten the value.`)
  }
  return parsed as Record<string, unknown>
}

/** Deepest nesting a body may have; far beyond any real metadata, far below what recursion in JSON.stringify or a client survives. */
export const MAX_JSON_DEPTH = 32

/**
 * Returns the path of the first value that Behalf will not store, or null: a string (value or
 * key) that contains U+0000, which PostgreSQL cannot store in text and no field needs, or a
 * value nested deeper than MAX_JSON_DEPTH. The walk is iterative, so no input can overflow the stack.
 */
function findUnstorableValue(root: unknown): { kind: 'nul' | 'depth'; path: string[] } | null {
  const stack: Array<{ value: unknown; path: string[] }> = [{ value: root, path: [] }]
  while (stack.length > 0) {
    const { value, path } = stack.pop() as { value: unknown; path: string[] }
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return { kind: 'nul', path }
      continue
    }
    if (value === null || typeof value !== 'object') continue
    if (path.length >= MAX_JSON_DEPTH) return { kind: 'depth', path }

    const entries = Object.entries(value)
    for (let index = entries.length - 1; index >= 0; index--) {
      const [key, child] = entries[index] as [string, unknown]
      if (key.includes('\u0000')) return { kind: 'nul', path: [...path, key] }
      stack.push({ value: child, path: [...path, key] })
    }
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
