// The main entry contains types only, so that importing it from a route module adds nothing to
// the client bundle. Server code comes from '@behalf/react-router/server'.
export type { Actor, AuthObject, SignedInAuthObject, SignedOutAuthObject } from '@behalf/backend'
export type { BehalfOptions, BehalfRouteArgs } from './server/state.js'
