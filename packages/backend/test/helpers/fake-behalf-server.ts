import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose'

/** One request received by the fake server. */
export interface RecordedRequest {
  method: string
  path: string
  query: URLSearchParams
  headers: IncomingMessage['headers']
  body: string
}

export type RouteHandler = (request: RecordedRequest) => { status: number; body?: unknown; headers?: Record<string, string> }

export interface SigningKey {
  kid: string
  privateKey: CryptoKey
  publicJwk: JWK
  publicPem: string
}

export async function createSigningKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true })
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }
  return { kid, privateKey, publicJwk, publicPem: await exportSPKI(publicKey) }
}

/** Signs a session token like the Behalf server does; `claims` and `header` override the defaults. */
export async function signSessionToken(
  key: SigningKey,
  claims: JWTPayload = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const payload: JWTPayload = {
    iss: 'http://behalf.test',
    sub: 'user_1',
    sid: 'sess_1',
    iat: now,
    nbf: now,
    exp: now + 60,
    azp: 'http://app.test',
    sts: 'active',
    permissions: ['*'],
    ...claims,
  }
  for (const [name, value] of Object.entries(payload)) {
    if (value === undefined) delete payload[name]
  }
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT', ...header }).sign(key.privateKey)
}

/**
 * A Behalf server stand-in on 127.0.0.1. It serves a JWKS, responds to every other route
 * with the handler the test sets, and records each request.
 */
export class FakeBehalfServer {
  readonly requests: RecordedRequest[] = []
  readonly routes = new Map<string, RouteHandler>()
  jwks: { keys: JWK[] } = { keys: [] }
  jwksFetchCount = 0
  url = ''
  #server: Server | undefined

  async start(): Promise<this> {
    this.#server = createServer((req, res) => {
      void this.#handle(req, res)
    })
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve))
    const { port } = this.#server.address() as AddressInfo
    this.url = `http://127.0.0.1:${port}`
    return this
  }

  async stop(): Promise<void> {
    const server = this.#server
    if (server === undefined) return
    server.closeAllConnections()
    await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
  }

  /** Sets the handler for `METHOD /path`; a `*` segment matches any one path segment. */
  on(method: string, path: string, handler: RouteHandler): void {
    this.routes.set(`${method} ${path}`, handler)
  }

  requestsTo(method: string, path: string): RecordedRequest[] {
    return this.requests.filter((request) => request.method === method && request.path === path)
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const url = new URL(req.url ?? '/', 'http://fake')
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    }

    if (recorded.method === 'GET' && recorded.path === '/.well-known/jwks.json') {
      this.jwksFetchCount += 1
      send(res, 200, this.jwks)
      return
    }

    this.requests.push(recorded)
    const handler = this.#findHandler(recorded.method, recorded.path)
    if (handler === undefined) {
      send(res, 404, { errors: [{ code: 'resource_not_found', message: 'not found', long_message: 'No route', meta: {} }] })
      return
    }
    const result = handler(recorded)
    send(res, result.status, result.body, result.headers)
  }

  #findHandler(method: string, path: string): RouteHandler | undefined {
    const exact = this.routes.get(`${method} ${path}`)
    if (exact !== undefined) return exact
    const segments = path.split('/')
    for (const [route, handler] of this.routes) {
      const [routeMethod, routePath] = route.split(' ')
      if (routeMethod !== method || routePath === undefined) continue
      const routeSegments = routePath.split('/')
      if (routeSegments.length !== segments.length) continue
      if (routeSegments.every((segment, index) => segment === '*' || segment === segments[index])) return handler
    }
    return undefined
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  let text = ''
  if (typeof body === 'string') text = body
  else if (body !== undefined) text = JSON.stringify(body)
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers })
  res.end(text)
}

/** Returns a port on 127.0.0.1 that nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
