import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'

import type { Kysely } from 'kysely'

import { loadConfig, type ServerConfig } from '../../src/config.js'
import type { Database } from '../../src/db/schema.js'
import { createLogger } from '../../src/logger.js'
import { startServer } from '../../src/server.js'
import type { ServiceContext } from '../../src/services/context.js'
import { createTestDatabase } from './engine.js'

/** The allow-list every test server starts with; development mode also allows any localhost port. */
export const ALLOWED_ORIGIN = 'https://app.example.com'

/** The user agent that test requests send, so that audit events can be matched to them. */
export const TEST_USER_AGENT = 'behalf-server-tests/1.0'

export interface ApiResponse<Body = any> {
  status: number
  statusText: string
  headers: Headers
  /** The parsed JSON body, or null when the body is empty or not JSON. */
  body: Body
  text: string
}

export interface ApiOptions {
  /** Replaces the test server's secret key; `null` sends no Authorization header. */
  authorization?: string | null
  headers?: Record<string, string>
}

export interface TestServer {
  /** http://127.0.0.1:<port>; also the server's public URL, so task URLs point here. */
  url: string
  secretKey: string
  config: ServerConfig
  context: ServiceContext
  db: Kysely<Database>
  dataDir: string
  /** Every line the server's logger wrote, in order. */
  logLines: string[]
  /** Sends a Backend API request with the secret key. A string body is sent as is, anything else as JSON. */
  api<Body = any>(method: string, pathAndQuery: string, body?: unknown, options?: ApiOptions): Promise<ApiResponse<Body>>
  close(): Promise<void>
}

/** Reads a response into an ApiResponse, parsing JSON when the body is JSON. */
export async function readResponse<Body = any>(response: Response): Promise<ApiResponse<Body>> {
  const text = await response.text()
  let body: unknown = null
  if (text !== '' && (response.headers.get('content-type') ?? '').startsWith('application/json')) body = JSON.parse(text)
  return { status: response.status, statusText: response.statusText, headers: response.headers, body: body as Body, text }
}

/**
 * Starts a server in this process on 127.0.0.1 with a fresh database (a SQLite file in a new
 * temporary directory, or a new PostgreSQL database; see engine.ts), and captures its log
 * lines. `env` adds or overrides configuration variables.
 */
export async function startTestServer(env: Record<string, string> = {}, options: { rewriteDatabaseUrl?: (url: string) => string } = {}): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'behalf-test-'))
  const database = await createTestDatabase()
  if (database.env.DATABASE_URL && options.rewriteDatabaseUrl) database.env.DATABASE_URL = options.rewriteDatabaseUrl(database.env.DATABASE_URL)
  const serverEnv = {
    BEHALF_PORT: '0',
    BEHALF_HOST: '127.0.0.1',
    BEHALF_DATA_DIR: dataDir,
    BEHALF_ENV: 'development',
    BEHALF_ALLOWED_ORIGINS: ALLOWED_ORIGIN,
    BEHALF_LOG_LEVEL: 'trace',
    ...database.env,
    ...env,
  }
  const config = loadConfig(serverEnv, dataDir)

  const logLines: string[] = []
  let pending = ''
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      pending += chunk.toString('utf8')
      const lines = pending.split('\n')
      pending = lines.pop() ?? ''
      logLines.push(...lines.filter((line) => line !== ''))
      callback()
    },
  })

  const running = await startServer(config, createLogger(config, logStream), serverEnv)
  if (!running.createdSecretKey) throw new Error('A fresh data directory should have produced a secret key')
  const secretKey = running.createdSecretKey

  // With BEHALF_PORT=0 the server derives http://localhost:<port> as its public URL. The tests
  // reach it on 127.0.0.1 only, so they use that address as the public URL, as BEHALF_PUBLIC_URL would.
  if (!env.BEHALF_PUBLIC_URL) running.context.config.publicUrl = running.url

  async function api<Body>(method: string, pathAndQuery: string, body?: unknown, options: ApiOptions = {}): Promise<ApiResponse<Body>> {
    const headers: Record<string, string> = { 'User-Agent': TEST_USER_AGENT, ...options.headers }
    const authorization = options.authorization === undefined ? `Bearer ${secretKey}` : options.authorization
    if (authorization !== null) headers.Authorization = authorization

    let payload: string | undefined
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body)
      headers['Content-Type'] ??= 'application/json'
    }
    return readResponse<Body>(await fetch(`${running.url}${pathAndQuery}`, { method, headers, body: payload }))
  }

  return {
    url: running.url,
    secretKey,
    config: running.context.config,
    context: running.context,
    db: running.context.db,
    dataDir,
    logLines,
    api,
    async close() {
      await running.close()
      await database.drop()
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
