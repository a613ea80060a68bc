import type { Context } from 'hono'

import { ApiError, invalidParam } from './errors.js'

/**
 * Rejects query keys an endpoint does not know: a filter that was silently ignored would
 * return unfiltered results, which is worse than an error.
 */
export function assertKnownQueryKeys(c: Context, known: readonly string[]): void {
  for (const key of new Set(new URL(c.req.url).searchParams.keys())) {
    if (!known.includes(key)) {
      throw new ApiError(422, 'query_param_unknown', `${key} is not a known query parameter`, `Remove ${key}; this endpoint accepts ${known.join(', ')}.`, {
        param_name: key,
      })
    }
  }
}

/** Reads an integer query value. An absent or empty value means `fallback`, because clients omit defaults. */
export function queryInteger(c: Context, name: string, fallback: number, min: number, max: number): number {
  const raw = c.req.query(name)
  if (raw === undefined || raw === '') return fallback
  if (!/^-?[0-9]+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw invalidParam(name, `${name} must be a whole number from ${min} to ${max}; got ${JSON.stringify(raw)}.`)
  }
  return Number(raw)
}

export function queryValues(c: Context, name: string): string[] {
  return (c.req.queries(name) ?? []).filter((value) => value !== '')
}

export function queryEnum<T extends string>(c: Context, name: string, allowed: readonly T[]): T | null {
  const raw = c.req.query(name)
  if (raw === undefined || raw === '') return null
  if (!(allowed as readonly string[]).includes(raw)) {
    throw invalidParam(name, `${name} must be one of ${allowed.join(', ')}; got ${JSON.stringify(raw)}.`)
  }
  return raw as T
}
