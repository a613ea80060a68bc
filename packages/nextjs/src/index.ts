export { behalfMiddleware, type BehalfMiddlewareOptions } from './proxy.js'
export type { Actor, AuthObject, BehalfClient, SignedInAuthObject, SignedOutAuthObject } from '@behalf/backend'
