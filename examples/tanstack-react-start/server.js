// Serves the production build on Node.js: files from dist/client, every other request through
// the fetch handler that `vite build` writes to dist/server/server.js.
import { fileURLToPath } from 'node:url'
import { serve } from 'srvx'
import { staticMiddleware } from 'srvx/static'

import startHandler from './dist/server/server.js'

const port = Number(process.env.PORT ?? 3000)
const hostname = process.env.HOST ?? '127.0.0.1'

serve({
  fetch: startHandler.fetch,
  middleware: [staticMiddleware({ dir: fileURLToPath(new URL('./dist/client', import.meta.url)) })],
  hostname,
  port,
})
