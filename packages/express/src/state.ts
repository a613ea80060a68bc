import { createRequestEntryStore } from '@behalf/backend'
import type { Request as ExpressRequest } from 'express'

export { LazyRequestEntry, type RequestEntry } from '@behalf/backend'

const store = createRequestEntryStore<ExpressRequest>('Add app.use(behalfMiddleware()) before the routes and middleware that call it.')

export const setRequestEntry = store.set
export const getRequestEntry = store.get
