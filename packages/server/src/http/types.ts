import type { RequestMeta } from '../services/context.js'

/** Values that middleware stores on the Hono context for the handlers after it. */
export interface AppVariables {
  traceId: string
  meta: RequestMeta
  /** Id of the secret key that authenticated a Backend API request. */
  secretKeyId: string
}

export interface AppEnv {
  Variables: AppVariables
}
