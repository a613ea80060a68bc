import type { Context, MiddlewareHandler } from 'hono'

import { ApiError } from './errors.js'
import type { AppEnv } from './types.js'

export interface RateLimitRule {
  /** Sustained requests per second; 0 turns the limit off. */
  perSecond: number
  /** Requests allowed at once after a quiet period. */
  burst: number
}

/** Upper bound on tracked keys per limiter; idle buckets are dropped first when it is reached. */
const MAX_TRACKED_KEYS = 100_000

interface Bucket {
  tokens: number
  updatedAt: number
}

/**
 * A token bucket per key (a secret key id or a client IP), kept in this process's memory.
 * With several processes behind a load balancer each keeps its own buckets, so an instance
 * of N processes allows up to N times the configured rate.
 */
export class TokenBucketLimiter {
  private readonly buckets = new Map<string, Bucket>()

  constructor(readonly rule: RateLimitRule) {}

  /** Takes one token for `key`; returns 0 when allowed, else the seconds until a token is free. */
  take(key: string, now = Date.now()): number {
    if (this.rule.perSecond <= 0) return 0

    const bucket = this.buckets.get(key) ?? { tokens: this.rule.burst, updatedAt: now }
    bucket.tokens = Math.min(this.rule.burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * this.rule.perSecond)
    bucket.updatedAt = now

    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      this.store(key, bucket)
      return 0
    }
    this.store(key, bucket)
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.rule.perSecond))
  }

  private store(key: string, bucket: Bucket): void {
    // Map keeps insertion order, and re-inserting moves a key to the end, so the first keys are
    // the least recently used. Dropping one only loses the record of its spent tokens.
    this.buckets.delete(key)
    this.buckets.set(key, bucket)
    if (this.buckets.size <= MAX_TRACKED_KEYS) return
    for (const oldKey of this.buckets.keys()) {
      if (this.buckets.size <= MAX_TRACKED_KEYS * 0.9) break
      this.buckets.delete(oldKey)
    }
  }
}

export function rateLimitError(retryAfterSeconds: number, scope: string): ApiError {
  return new ApiError(
    429,
    'too_many_requests',
    'Too many requests',
    `Too many requests for this ${scope}. Retry after ${retryAfterSeconds} second${retryAfterSeconds === 1 ? '' : 's'}, or raise the limit in the server's configuration.`,
    {},
    { 'Retry-After': String(retryAfterSeconds) },
  )
}

/** Middleware that limits requests per key; `keyOf` returns null to let a request through unlimited. */
export function rateLimit(limiter: TokenBucketLimiter, scope: string, keyOf: (c: Context<AppEnv>) => string | null): MiddlewareHandler<AppEnv> {
  return async function rateLimitMiddleware(c, next) {
    const key = keyOf(c)
    const retryAfter = key === null ? 0 : limiter.take(key)
    if (retryAfter > 0) throw rateLimitError(retryAfter, scope)
    await next()
  }
}
