import net from 'node:net'
import path from 'node:path'

import SQLite from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { TEST_ENGINE } from './support/engine.js'
import { startTestServer, type TestServer } from './support/server.js'

/**
 * A TCP proxy in front of PostgreSQL that the test can cut and restore, so the server sees its
 * database vanish and come back without anything else changing.
 */
class CuttableProxy {
  private server: net.Server | null = null
  private sockets = new Set<net.Socket>()
  port = 0

  constructor(private readonly target: { host: string; port: number }) {}

  async open(): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host)
      for (const socket of [client, upstream]) {
        this.sockets.add(socket)
        socket.on('close', () => this.sockets.delete(socket))
        socket.on('error', () => socket.destroy())
      }
      client.pipe(upstream).pipe(client)
    })
    await new Promise<void>((resolve) => this.server?.listen(this.port, '127.0.0.1', () => resolve()))
    this.port = (this.server.address() as net.AddressInfo).port
  }

  async cut(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
    this.server = null
  }
}

let server: TestServer
let proxy: CuttableProxy | null = null
let lockHolder: SQLite.Database | null = null

beforeAll(async () => {
  if (TEST_ENGINE === 'postgres') {
    const target = new URL(process.env.BEHALF_TEST_DATABASE_URL as string)
    proxy = new CuttableProxy({ host: target.hostname, port: Number(target.port || 5432) })
    await proxy.open()
    server = await startTestServer({}, { rewriteDatabaseUrl: (url) => url.replace(`:${target.port || 5432}/`, `:${proxy?.port}/`) })
  } else {
    // A writer that holds the lock past this timeout is how an unavailable SQLite database looks.
    server = await startTestServer({ BEHALF_SQLITE_BUSY_TIMEOUT_MS: '200' })
  }
})

afterAll(async () => {
  lockHolder?.close()
  await proxy?.cut()
  await server?.close()
})

async function makeUnavailable(): Promise<void> {
  if (proxy) {
    await proxy.cut()
    return
  }
  lockHolder = new SQLite(path.join(server.dataDir, 'behalf.db'))
  lockHolder.exec('BEGIN EXCLUSIVE')
}

async function makeAvailable(): Promise<void> {
  if (proxy) {
    await proxy.open()
    return
  }
  lockHolder?.exec('COMMIT')
  lockHolder?.close()
  lockHolder = null
}

describe(`database outage on ${TEST_ENGINE}`, () => {
  it('503 with Retry-After, then recovery', async () => {
    const before = await server.api('POST', '/v1/users', { email_address: ['before-outage@example.com'] })
    expect(before.status).toBe(200)

    await makeUnavailable()
    const during = await server.api('POST', '/v1/users', { email_address: ['during-outage@example.com'] })
    expect(during.status).toBe(503)
    expect(during.statusText).toBe('Service Unavailable')
    expect(during.headers.get('retry-after')).toBe('1')
    expect(during.body.errors[0].code).toBe('database_unavailable')

    await makeAvailable()
    const after = await server.api('POST', '/v1/users', { email_address: ['after-outage@example.com'] })
    expect(after.status).toBe(200)

    const count = await server.api('GET', '/v1/users/count')
    expect(count.body.total_count).toBe(2)
  })
})
