// Server code lives in '@behalf/tanstack-react-start/server'. This entry holds only types, so
// that client components can import them without pulling server code into the browser bundle.
export type { Actor, AuthObject, SignedInAuthObject, SignedOutAuthObject } from '@behalf/backend'
export type { BehalfMiddlewareOptions, BehalfRequestContext } from './context.js'
