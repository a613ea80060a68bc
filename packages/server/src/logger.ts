import { pino, type Logger } from 'pino'

import type { ServerConfig } from './config.js'

/**
 * Paths that could ever carry a secret. Call sites never pass secrets to the logger; this
 * list is the second line of defence should one slip into a logged object.
 */
const REDACTED_PATHS = [
  'ticket',
  'code',
  'password',
  'secretKey',
  'secret_key',
  'token',
  'sessionToken',
  'refreshToken',
  'authorization',
  '*.ticket',
  '*.code',
  '*.password',
  '*.token',
  '*.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
]

/** Creates the server's logger: JSON lines in production, pretty output in development when stdout is a terminal. */
export function createLogger(config: Pick<ServerConfig, 'mode' | 'logLevel'>, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level: config.logLevel,
    base: { service: 'behalf' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  }

  if (destination) return pino(options, destination as pino.DestinationStream)

  if (config.mode === 'development' && process.stdout.isTTY) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } })
  }
  return pino(options)
}
