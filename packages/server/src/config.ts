import path from 'node:path'

import type { RateLimitRule } from './http/rate-limit.js'

export type InstanceMode = 'development' | 'production'

export interface ServerConfig {
  /** TCP port to listen on; 0 picks a free port. */
  port: number
  host: string
  /** Origin (and optional path prefix) that browsers and SDKs use to reach this server; the `iss` of every session token. */
  publicUrl: string
  /** True when BEHALF_PUBLIC_URL was not set: the server then derives it from the port it actually listens on. */
  publicUrlFromPort: boolean
  mode: InstanceMode
  /** Origins (scheme, host, port) that `redirect_url` may point at, normalised by the URL parser. */
  allowedOrigins: string[]
  dataDir: string
  /** `postgres://…` selects PostgreSQL; absent means SQLite in `dataDir`. */
  databaseUrl: string | null
  databasePoolSize: number
  /** How long a SQLite write waits for another process's write lock before the request fails with 503. */
  sqliteBusyTimeoutMs: number
  sessionTokenTtlSeconds: number
  /** How often each process rereads the signing keys, so a rotation reaches every process. */
  signingKeyRefreshSeconds: number
  /** Seconds a process keeps a secret key it found valid, which bounds how long a revoked key keeps working. With 0 every request reads the key. */
  secretKeyCacheSeconds: number
  rateLimits: {
    /** Backend API requests per secret key. */
    backendApi: RateLimitRule
    /** Agent-task URL visits per client IP. */
    accept: RateLimitRule
    /** Hosted sign-in and sign-up form posts per client IP. */
    signIn: RateLimitRule
  }
  /** Number of reverse proxies in front of the server whose X-Forwarded-For entries are trusted. */
  trustedProxyHops: number
  logLevel: string
  /** Fallback destination of the hosted pages when the link that opened them had no `redirect_url`. */
  afterSignInUrl: string | null
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

type Env = Record<string, string | undefined>

function readInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback

  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is invalid: set it to a whole number from ${min} to ${max}.`)
  }
  return value
}

function parseOrigin(name: string, raw: string): URL {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError(`${name} contains ${JSON.stringify(raw)}, which is not an absolute URL: write origins as https://app.example.com.`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${name} contains ${JSON.stringify(raw)}: only http and https origins are allowed.`)
  }
  return url
}

/**
 * Reads the rate limits. Development defaults are high enough that a parallel end-to-end run
 * (many workers signing in through agent tasks from one IP) never meets them. Production
 * defaults follow the hosted reference service's 100 Backend API requests per second and keep
 * sign-in forms too slow for password guessing. 0 turns a limit off.
 */
function readRateLimits(env: Env, mode: InstanceMode): ServerConfig['rateLimits'] {
  const development = mode === 'development'
  const apiPerSecond = readInteger(env, 'BEHALF_RATE_LIMIT_API_PER_SECOND', development ? 1000 : 100, 0, 1_000_000)
  const acceptPerMinute = readInteger(env, 'BEHALF_RATE_LIMIT_ACCEPT_PER_MINUTE', development ? 60_000 : 60, 0, 10_000_000)
  const signInPerMinute = readInteger(env, 'BEHALF_RATE_LIMIT_SIGN_IN_PER_MINUTE', development ? 1200 : 10, 0, 1_000_000)

  return {
    backendApi: { perSecond: apiPerSecond, burst: Math.max(1, apiPerSecond * 2) },
    // Bursts of ten seconds' worth let a test suite open many links at once.
    accept: { perSecond: acceptPerMinute / 60, burst: Math.max(10, Math.round(acceptPerMinute / 6)) },
    signIn: { perSecond: signInPerMinute / 60, burst: Math.max(5, Math.round(signInPerMinute / 6)) },
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

function readLogLevel(env: Env): string {
  const level = env.BEHALF_LOG_LEVEL || 'info'
  if (!LOG_LEVELS.includes(level)) {
    throw new ConfigError(`BEHALF_LOG_LEVEL=${JSON.stringify(level)} is invalid: set it to one of ${LOG_LEVELS.join(', ')}.`)
  }
  return level
}

export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]'
}

/** Reads the server's configuration from environment variables and rejects bad values with the variable's name. */
export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): ServerConfig {
  const modeRaw = env.BEHALF_ENV ?? 'development'
  if (modeRaw !== 'development' && modeRaw !== 'production') {
    throw new ConfigError(`BEHALF_ENV=${JSON.stringify(modeRaw)} is invalid: set it to development or production.`)
  }
  const mode: InstanceMode = modeRaw

  const port = readInteger(env, 'BEHALF_PORT', 4000, 0, 65535)
  const host = env.BEHALF_HOST || '127.0.0.1'

  const publicUrlRaw = env.BEHALF_PUBLIC_URL || `http://localhost:${port}`
  const publicUrl = parseOrigin('BEHALF_PUBLIC_URL', publicUrlRaw)
  if (publicUrl.pathname !== '/' || publicUrl.search !== '' || publicUrl.hash !== '') {
    throw new ConfigError(`BEHALF_PUBLIC_URL=${publicUrlRaw} must be an origin without a path, such as https://auth.example.com: Behalf serves its routes at the root.`)
  }
  if (mode === 'production' && publicUrl.protocol !== 'https:' && !isLoopbackHost(publicUrl.hostname)) {
    throw new ConfigError(`BEHALF_PUBLIC_URL=${publicUrlRaw} must use https in production.`)
  }

  const allowedOrigins = (env.BEHALF_ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const url = parseOrigin('BEHALF_ALLOWED_ORIGINS', entry)
      if (url.origin !== entry.replace(/\/+$/, '')) {
        throw new ConfigError(`BEHALF_ALLOWED_ORIGINS contains ${JSON.stringify(entry)}: list origins only (scheme, host and port), without a path.`)
      }
      if (mode === 'production' && url.protocol !== 'https:' && !isLoopbackHost(url.hostname)) {
        throw new ConfigError(`BEHALF_ALLOWED_ORIGINS contains ${entry}: production instances allow https origins only.`)
      }
      return url.origin
    })

  const afterSignInRaw = env.BEHALF_AFTER_SIGN_IN_URL || null
  if (afterSignInRaw !== null) parseOrigin('BEHALF_AFTER_SIGN_IN_URL', afterSignInRaw)

  const databaseUrl = env.DATABASE_URL || null
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must start with postgres:// (leave it unset to use the embedded SQLite database).')
  }

  return {
    port,
    host,
    publicUrl: publicUrl.href.replace(/\/$/, ''),
    publicUrlFromPort: !env.BEHALF_PUBLIC_URL,
    mode,
    allowedOrigins,
    dataDir: path.resolve(cwd, env.BEHALF_DATA_DIR || '.behalf'),
    databaseUrl,
    databasePoolSize: readInteger(env, 'BEHALF_DATABASE_POOL_SIZE', 10, 1, 1000),
    sqliteBusyTimeoutMs: readInteger(env, 'BEHALF_SQLITE_BUSY_TIMEOUT_MS', 5000, 0, 600_000),
    sessionTokenTtlSeconds: readInteger(env, 'BEHALF_SESSION_TOKEN_TTL_SECONDS', 60, 5, 3600),
    signingKeyRefreshSeconds: readInteger(env, 'BEHALF_SIGNING_KEY_REFRESH_SECONDS', 30, 1, 3600),
    secretKeyCacheSeconds: readInteger(env, 'BEHALF_SECRET_KEY_CACHE_SECONDS', 5, 0, 60),
    rateLimits: readRateLimits(env, mode),
    trustedProxyHops: readInteger(env, 'BEHALF_TRUSTED_PROXY_HOPS', 0, 0, 10),
    logLevel: readLogLevel(env),
    afterSignInUrl: afterSignInRaw,
  }
}
