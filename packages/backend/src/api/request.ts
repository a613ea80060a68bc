import { API_REQUEST_TIMEOUT_MS, SDK_VERSION } from '../constants.js'
import {
  BehalfAPIError,
  BehalfNetworkError,
  type BehalfAPIErrorEntry,
  type BehalfAPIErrorMeta,
} from '../errors.js'

/** Query values: arrays become repeated keys, and undefined values are left out. */
export type QueryValue = string | number | boolean | undefined | readonly (string | number)[]

export interface ApiRequestOptions {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE'
  /** Path below the API URL, starting with `/v1/`. */
  path: string
  query?: Record<string, QueryValue>
  /** JSON body, already in the wire's snake_case. */
  body?: unknown
}

/** Sends authenticated requests to the Backend API and parses their JSON responses. */
export type ApiRequester = <T>(options: ApiRequestOptions) => Promise<T>

export function createApiRequester(config: { apiUrl: string; secretKey: string }): ApiRequester {
  return async function requestApi<T>(options: ApiRequestOptions): Promise<T> {
    const url = buildUrl(config.apiUrl, options.path, options.query)
    const headers = new Headers({
      Authorization: `Bearer ${config.secretKey}`,
      Accept: 'application/json',
      'User-Agent': `@behalf/backend@${SDK_VERSION}`,
    })
    // POST without a body (revoke, ban) still sends the JSON content type, as other clients of
    // this wire format do.
    if (options.method === 'POST' || options.method === 'PATCH') {
      headers.set('Content-Type', 'application/json')
    }

    let response: Response
    try {
      response = await fetch(url, {
        method: options.method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        redirect: 'manual',
        signal: AbortSignal.timeout(API_REQUEST_TIMEOUT_MS),
      })
    } catch (error) {
      throw new BehalfNetworkError(options.method, url, error)
    }

    const text = await readBody(response, options.method, url)
    if (!response.ok) {
      throw parseErrorResponse(response, text, options.method, options.path)
    }

    try {
      return JSON.parse(text) as T
    } catch {
      throw new BehalfAPIError(
        `${options.method} ${options.path} returned ${response.status} with a body that is not valid JSON. ` +
          'Check that apiUrl or BEHALF_API_URL points to the Behalf server and not to another service.',
        {
          status: response.status,
          errors: [],
          traceId: null,
          retryAfter: null,
        },
      )
    }
  }
}

async function readBody(response: Response, method: string, url: string): Promise<string> {
  try {
    return await response.text()
  } catch (error) {
    throw new BehalfNetworkError(method, url, error)
  }
}

export function buildUrl(apiUrl: string, path: string, query?: Record<string, QueryValue>): string {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue
    if (Array.isArray(value)) {
      for (const item of value) search.append(key, String(item))
    } else {
      search.append(key, String(value))
    }
  }
  const queryString = search.toString()
  return `${apiUrl}${path}${queryString === '' ? '' : `?${queryString}`}`
}

export function assertNonEmptyString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`${name} must be a non-empty string, got ${JSON.stringify(value)}.`)
  }
}

/** Encodes one path segment, rejecting an empty id that would change which endpoint is called. */
export function pathSegment(value: string, name: string): string {
  assertNonEmptyString(value, name)
  return encodeURIComponent(value)
}

/** Builds a {@link BehalfAPIError} from an error response, whatever shape its body has. */
export function parseErrorResponse(response: Response, text: string, method: string, path: string): BehalfAPIError {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }

  const record = isRecord(body) ? body : {}
  const errors = Array.isArray(record.errors) ? record.errors.filter(isRecord).map(parseErrorEntry) : []
  const traceId = typeof record.clerk_trace_id === 'string' ? record.clerk_trace_id : null
  const retryAfter = parseRetryAfter(response.headers.get('Retry-After'))

  const first = errors[0]
  const statusText = response.statusText === '' ? '' : ` ${response.statusText}`
  const detail = first === undefined ? '' : `: ${first.longMessage ?? first.message} (${first.code})`
  const message = `${method} ${path} failed with ${response.status}${statusText}${detail}`

  return new BehalfAPIError(message, { status: response.status, errors, traceId, retryAfter })
}

function parseErrorEntry(entry: Record<string, unknown>): BehalfAPIErrorEntry {
  const wireMeta = isRecord(entry.meta) ? entry.meta : {}
  const { param_name: paramName, ...otherMeta } = wireMeta
  const meta: BehalfAPIErrorMeta = { ...otherMeta }
  if (typeof paramName === 'string') meta.paramName = paramName

  return {
    code: typeof entry.code === 'string' ? entry.code : 'unknown_error',
    message: typeof entry.message === 'string' ? entry.message : '',
    longMessage: typeof entry.long_message === 'string' ? entry.long_message : null,
    meta,
  }
}

function parseRetryAfter(value: string | null): number | null {
  if (value === null || !/^\d+$/.test(value.trim())) return null
  return Number(value.trim())
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
