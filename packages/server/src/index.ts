export { loadConfig, ConfigError, type ServerConfig, type InstanceMode } from './config.js'
export { createLogger } from './logger.js'
export { startServer, openMigratedDatabase, SECRET_KEY_FILE, type RunningServer } from './server.js'
export { createSecretKey, listSecretKeys, revokeSecretKey } from './keys/secret-keys.js'
