import { createRequestEntryStore } from '@behalf/backend'
import type { FastifyRequest } from 'fastify'

export { LazyRequestEntry, type RequestEntry } from '@behalf/backend'

const store = createRequestEntryStore<FastifyRequest>(
  'Register the plugin with `await fastify.register(behalfPlugin)` before the routes, and call it ' +
    'from a preHandler, a route handler or a later hook, not from an onRequest hook added before the plugin.',
)

export const setRequestEntry = store.set
export const getRequestEntry = store.get
