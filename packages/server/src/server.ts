import { hkdfSync } from 'node:crypto'
import fs from 'node:fs'
import type { AddressInfo } from 'node:net'
import path from 'node:path'

import { serve, type ServerType } from '@hono/node-server'
import type { Logger } from 'pino'

import { ConfigError, type ServerConfig } from './config.js'
import { openDatabase, type DatabaseHandle } from './db/database.js'
import { migrateToLatest } from './db/migrations.js'
import { createApp } from './http/app.js'
import { loadEncryptionKey } from './keys/encryption.js'
import { countActiveSecretKeys, createSecretKey } from './keys/secret-keys.js'
import { SigningKeys } from './keys/signing-keys.js'
import { expireAgentTasks } from './services/agent-tasks.js'
import type { ServiceContext } from './services/context.js'

export const SECRET_KEY_FILE = 'secret-key'

/** How often each process marks expired agent tasks and deletes old handoff codes. */
const EXPIRY_SWEEP_INTERVAL_MS = 30_000

export interface RunningServer {
  /** The address the server listens on, e.g. http://127.0.0.1:4000. */
  url: string
  port: number
  context: ServiceContext
  /** The secret key created on this start, when the instance had none; it is also in `<dataDir>/secret-key`. */
  createdSecretKey: string | null
  close(): Promise<void>
}

/** Opens the database and applies migrations; used by `behalf start` and `behalf migrate`. */
export async function openMigratedDatabase(config: ServerConfig): Promise<DatabaseHandle> {
  const handle = openDatabase(config)
  try {
    await migrateToLatest(handle.db)
  } catch (error) {
    await handle.close()
    throw error
  }
  return handle
}

/**
 * On an instance without any secret key, creates one and writes it to `<dataDir>/secret-key`
 * (mode 0600) so that the developer, scripts and tests can read it. Returns the key, or null.
 */
async function bootstrapSecretKey(context: ServiceContext): Promise<string | null> {
  if ((await countActiveSecretKeys(context.db)) > 0) return null
  const { id, secretKey } = await createSecretKey(context.db, context.config.mode)
  fs.mkdirSync(context.config.dataDir, { recursive: true, mode: 0o700 })
  fs.writeFileSync(path.join(context.config.dataDir, SECRET_KEY_FILE), `${secretKey}\n`, { mode: 0o600 })
  context.logger.info({ secretKeyId: id, file: path.join(context.config.dataDir, SECRET_KEY_FILE) }, 'secret key created')
  return secretKey
}

/** Starts a Behalf server: migrations, signing key, first secret key, HTTP listener and the expiry sweep. */
export async function startServer(config: ServerConfig, logger: Logger, env: Record<string, string | undefined> = process.env): Promise<RunningServer> {
  const handle = await openMigratedDatabase(config)
  const encryptionKey = loadEncryptionKey(config.dataDir, env, handle.engine === 'postgres')
  const signingKeys = new SigningKeys(handle.db, encryptionKey, logger, config.signingKeyRefreshSeconds * 1000)
  const context: ServiceContext = { db: handle.db, engine: handle.engine, config, logger, signingKeys }

  await signingKeys.ensureKey()
  const createdSecretKey = await bootstrapSecretKey(context)

  const csrfKey = Buffer.from(hkdfSync('sha256', encryptionKey, Buffer.alloc(0), 'behalf csrf tokens', 32))
  const app = createApp(context, { csrfKey })

  const server = await new Promise<ServerType>((resolve, reject) => {
    const instance = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(instance))
    instance.once('error', (error: NodeJS.ErrnoException) => {
      const reason = error.code === 'EADDRINUSE' ? 'is already in use' : `cannot be used (${error.code ?? error.message})`
      reject(new ConfigError(`Port ${config.port} on ${config.host} ${reason}: stop the other process or set BEHALF_PORT.`))
    })
  }).catch(async (error: unknown) => {
    await handle.close()
    throw error
  })
  const port = (server.address() as AddressInfo).port
  // With BEHALF_PORT=0 the port is known only now; no request has been served yet.
  if (config.publicUrlFromPort) config.publicUrl = `http://localhost:${port}`

  const sweep = setInterval(() => {
    expireAgentTasks(context).catch((error: Error) => logger.error({ err: { message: error.message } }, 'expiry sweep failed'))
  }, EXPIRY_SWEEP_INTERVAL_MS)
  sweep.unref()

  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`
  logger.info({ url, publicUrl: config.publicUrl, engine: handle.engine, mode: config.mode }, 'server listening')

  return {
    url,
    port,
    context,
    createdSecretKey,
    async close() {
      clearInterval(sweep)
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        // Keep-alive sockets would otherwise hold close() open until they time out.
        if ('closeAllConnections' in server) server.closeAllConnections()
      })
      await handle.close()
      logger.info({ url }, 'server stopped')
    },
  }
}
