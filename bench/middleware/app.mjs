/**
 * One hello-world server of the middleware benchmark, chosen by its first argument, e.g.
 * `node app.mjs express-behalf 3401`. It listens on 127.0.0.1 and serves:
 *
 * - `GET /`: the benchmarked route, `hello world` (auth variants read the user id first);
 * - `GET /whoami`: the user id the middleware found, so the benchmark can check that its
 *   request is signed in before measuring.
 *
 * Configuration comes from the environment: BEHALF_SECRET_KEY and BEHALF_API_URL for Behalf,
 * BENCH_CLERK_PUBLIC_KEY (PEM) for Clerk, BENCH_BETTER_AUTH_DB (SQLite file) for Better Auth.
 */
const [variant, portArgument] = process.argv.slice(2)
const port = Number(portArgument)
const HOST = '127.0.0.1'

const [framework, auth] = variant.split('-')

// Exiting through process.exit lets `node --cpu-prof` write its profile when the benchmark stops this process.
process.once('SIGTERM', () => process.exit(0))

function ready() {
  console.log(`listening on ${HOST}:${port}`)
}

if (framework === 'express') {
  const { default: express } = await import('express')
  const app = express()
  let readUserId = () => null

  if (auth === 'behalf') {
    const { behalfMiddleware, getAuth } = await import('@behalf/express')
    app.use(behalfMiddleware())
    readUserId = (req) => getAuth(req).userId
  } else if (auth === 'clerk') {
    const { clerkMiddleware, getAuth } = await import('@clerk/express')
    app.use(clerkMiddleware(clerkOptions()))
    readUserId = (req) => getAuth(req).userId
  }

  app.get('/', (req, res) => {
    readUserId(req)
    res.send('hello world')
  })
  app.get('/whoami', (req, res) => {
    res.json({ userId: readUserId(req) })
  })
  app.listen(port, HOST, ready)
} else if (framework === 'fastify') {
  const { default: Fastify } = await import('fastify')
  const app = Fastify({ logger: false })
  let readUserId = () => null

  if (auth === 'behalf') {
    const { behalfPlugin, getAuth } = await import('@behalf/fastify')
    await app.register(behalfPlugin)
    readUserId = (request) => getAuth(request).userId
  } else if (auth === 'clerk') {
    const { clerkPlugin, getAuth } = await import('@clerk/fastify')
    await app.register(clerkPlugin, clerkOptions())
    readUserId = (request) => getAuth(request).userId
  }

  app.get('/', async (request) => {
    readUserId(request)
    return 'hello world'
  })
  app.get('/whoami', async (request) => ({ userId: readUserId(request) }))
  await app.listen({ port, host: HOST })
  ready()
} else if (framework === 'hono') {
  const { Hono } = await import('hono')
  const { serve } = await import('@hono/node-server')
  const app = new Hono()
  let readUserId = async () => null

  if (auth === 'behalf') {
    const { behalfMiddleware } = await import('@behalf/hono')
    app.use(behalfMiddleware())
    readUserId = async (c) => c.get('auth').userId
  } else if (auth === 'betterauth') {
    const { createBetterAuth } = await import('./better-auth.mjs')
    const auth = createBetterAuth(process.env.BENCH_BETTER_AUTH_DB, `http://localhost:${port}`)
    readUserId = async (c) => (await auth.api.getSession({ headers: c.req.raw.headers }))?.user.id ?? null
  }

  app.get('/', async (c) => {
    await readUserId(c)
    return c.text('hello world')
  })
  app.get('/whoami', async (c) => c.json({ userId: await readUserId(c) }))
  serve({ fetch: app.fetch, port, hostname: HOST }, ready)
} else {
  throw new Error(`Unknown variant ${JSON.stringify(variant)}: expected express-*, fastify-* or hono-*.`)
}

/**
 * Options for Clerk's networkless verification: the PEM public key as `jwtKey`, so no request
 * leaves the process. The keys name a production instance at clerk.bench.example, which no
 * request ever reaches.
 */
function clerkOptions() {
  const frontendApi = 'clerk.bench.example'
  return {
    publishableKey: `pk_live_${Buffer.from(`${frontendApi}$`).toString('base64')}`,
    secretKey: 'sk_live_bench0000000000000000000000000000000000',
    jwtKey: process.env.BENCH_CLERK_PUBLIC_KEY,
  }
}
