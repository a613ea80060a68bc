import { createLazyClient, type BehalfClient } from '@behalf/backend'

/**
 * Backend API client configured from `BEHALF_SECRET_KEY` and `BEHALF_API_URL`. It is created
 * on first use, so importing this module never throws. When the variable is not set, the first
 * property access throws an error that names `BEHALF_SECRET_KEY`.
 */
export const behalfClient: BehalfClient = createLazyClient()
