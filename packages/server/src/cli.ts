#!/usr/bin/env node
import { parseArgs } from 'node:util'

import { ConfigError, loadConfig } from './config.js'
import { createLogger } from './logger.js'
import { createSecretKey, listSecretKeys, revokeSecretKey } from './keys/secret-keys.js'
import { SigningKeys } from './keys/signing-keys.js'
import { loadEncryptionKey } from './keys/encryption.js'
import { openMigratedDatabase, startServer } from './server.js'
import { API_USAGE, ApiCommandError, runApiCommand } from './cli-api.js'

const USAGE = `Usage: behalf <command>

Commands:
  start                      Start the server (applies migrations first).
  migrate                    Apply pending database migrations and exit.
  keys create [--json]       Create a secret key and print it (shown once).
  keys list                  List secret keys (ids and hints, never the keys).
  keys revoke <id>           Revoke a secret key.
  keys rotate-signing [--activate-in <seconds>]
                             Publish a new signing key now; it starts signing after the given
                             delay (default 300 s), once every process and verifier has seen it.
  help                       Show this help.

Backend API commands:
${API_USAGE}

Configuration comes from environment variables: BEHALF_PORT, BEHALF_HOST, BEHALF_PUBLIC_URL,
BEHALF_ENV, BEHALF_ALLOWED_ORIGINS, BEHALF_DATA_DIR, DATABASE_URL, BEHALF_ENCRYPTION_KEY,
BEHALF_SESSION_TOKEN_TTL_SECONDS, BEHALF_LOG_LEVEL. See docs/configuration.md.`

async function runStart(): Promise<void> {
  const config = loadConfig()
  const logger = createLogger(config)
  const server = await startServer(config, logger)

  if (server.createdSecretKey) {
    // Printed once, outside the log stream, so log shipping never carries it.
    process.stdout.write(
      `\nCreated this instance's first secret key. It is printed only here, and saved to ${config.dataDir}/secret-key:\n\n  BEHALF_SECRET_KEY=${server.createdSecretKey}\n\n`,
    )
  }

  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down')
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.once('SIGINT', () => stop('SIGINT'))
  process.once('SIGTERM', () => stop('SIGTERM'))
}

async function runMigrate(): Promise<void> {
  const config = loadConfig()
  const handle = await openMigratedDatabase(config)
  await handle.close()
  process.stdout.write(`Database is up to date (${handle.engine}).\n`)
}

async function runKeys(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' }, 'activate-in': { type: 'string' } }, allowPositionals: true })
  const [action, id] = positionals
  const config = loadConfig()
  const handle = await openMigratedDatabase(config)

  try {
    if (action === 'create') {
      const key = await createSecretKey(handle.db, config.mode)
      process.stdout.write(values.json ? `${JSON.stringify({ id: key.id, secret_key: key.secretKey })}\n` : `${key.secretKey}\n`)
    } else if (action === 'list') {
      for (const key of await listSecretKeys(handle.db)) {
        const state = key.revokedAt ? `revoked ${new Date(key.revokedAt).toISOString()}` : 'active'
        process.stdout.write(`${key.id}  ${key.hint}  created ${new Date(key.createdAt).toISOString()}  ${state}\n`)
      }
    } else if (action === 'revoke') {
      if (!id) throw new ConfigError('keys revoke needs the key id: behalf keys revoke key_…  (see behalf keys list)')
      if (!(await revokeSecretKey(handle.db, id))) throw new ConfigError(`No active secret key has the id ${id}. See behalf keys list.`)
      // Servers use their own BEHALF_SECRET_KEY_CACHE_SECONDS. The message shows this process's value, the same when they share the configuration.
      process.stdout.write(`Revoked ${id}. Running servers reject it within ${config.secretKeyCacheSeconds} s (BEHALF_SECRET_KEY_CACHE_SECONDS).\n`)
    } else if (action === 'rotate-signing') {
      const logger = createLogger({ ...config, logLevel: 'warn' })
      const signingKeys = new SigningKeys(handle.db, loadEncryptionKey(config.dataDir, process.env, handle.engine === 'postgres'), logger)
      const previous = (await signingKeys.listKeys()).filter((key) => key.status === 'active')
      const activateIn = parseActivationDelay(values['activate-in'], config.signingKeyRefreshSeconds)
      const activatesAt = Date.now() + activateIn * 1000
      const kid = await signingKeys.createKey(activatesAt)
      process.stdout.write(
        `Added signing key ${kid}; it is published now and signs from ${new Date(activatesAt).toISOString()}.\n` +
          `Older keys (${previous.map((key) => key.kid).join(', ') || 'none'}) stay published, so tokens they signed keep verifying.\n`,
      )
    } else {
      throw new ConfigError(`Unknown keys command ${JSON.stringify(action ?? '')}. Use create, list, revoke or rotate-signing.`)
    }
  } finally {
    await handle.close()
  }
}

/**
 * Reads --activate-in. The delay must cover every process's key refresh
 * (BEHALF_SIGNING_KEY_REFRESH_SECONDS), or a process could sign with a key that another
 * process, or an app's cached JWKS, does not know yet.
 */
function parseActivationDelay(raw: string | undefined, refreshSeconds: number): number {
  if (raw === undefined) return 300
  const seconds = Number(raw)
  // Twice the refresh interval: a process that read the keys just before the rotation rereads them within one interval, with as much again to spare.
  const minimum = 2 * refreshSeconds
  if (!Number.isInteger(seconds) || seconds < minimum || seconds > 86_400) {
    throw new ConfigError(
      `--activate-in ${JSON.stringify(raw)} is invalid: give whole seconds from ${minimum} (twice BEHALF_SIGNING_KEY_REFRESH_SECONDS) to 86400.`,
    )
  }
  return seconds
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv
  switch (command) {
    case 'start':
      return runStart()
    case 'migrate':
      return runMigrate()
    case 'keys':
      return runKeys(rest)
    case 'agent-tasks':
    case 'users':
      return runApiCommand(command, rest)
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`)
      return
    default:
      throw new ConfigError(`Unknown command ${JSON.stringify(command)}.\n\n${USAGE}`)
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  // parseArgs rejects unknown flags with a TypeError carrying a parse-args code. That is a usage error like the others.
  if ((error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (error as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    process.stderr.write(`behalf: ${(error as Error).message}\n`)
    process.exit(2)
  }
  if (error instanceof ConfigError || error instanceof ApiCommandError) {
    process.stderr.write(`behalf: ${error.message}\n`)
    process.exit(2)
  }
  process.stderr.write(`behalf: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
