/**
 * Server throughput: agent-task create (POST /v1/agents/tasks) and accept (GET of the task URL,
 * which redirects with 303) on SQLite and on PostgreSQL, side by side, with requests/s and p50/p99.
 *
 * Each accept request needs a task nobody used, so the tasks of an accept run are created
 * through the API before the run (not timed), and every request of the run takes the next URL.
 * The server runs on this machine with its rate limits off and logs at warn.
 *
 * PostgreSQL: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) must let
 * the user create databases. The benchmark creates one for its run and drops it afterwards.
 * Set BENCH_SKIP_POSTGRES=1 to measure SQLite alone.
 *
 * Environment: BENCH_ROUNDS (default 3), BENCH_DURATION_SECONDS per create run (default 5),
 * BENCH_ACCEPT_REQUESTS per accept run (default 6000), BENCH_CONNECTIONS (default 50).
 */
import { randomBytes } from 'node:crypto'

import pg from 'pg'

import { alternate, backendApi, formatNumber, markdownTable, median, printMachine, runLoad, startBehalfServer, stopAll } from './lib.mjs'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const DURATION_SECONDS = Number(process.env.BENCH_DURATION_SECONDS ?? 5)
const ACCEPT_REQUESTS = Number(process.env.BENCH_ACCEPT_REQUESTS ?? 6000)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const ADMIN_DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const REDIRECT_URL = 'http://localhost:3000/dashboard'

function taskBody(userId) {
  return JSON.stringify({
    on_behalf_of: { user_id: userId },
    permissions: '*',
    agent_name: 'bench-agent',
    task_description: 'Throughput benchmark',
    redirect_url: REDIRECT_URL,
  })
}

/** Creates `count` tasks through the API, 20 requests in flight, and returns their URLs' paths and queries. */
async function createTasks(engine, count) {
  const paths = []
  let next = 0
  async function worker() {
    while (next < count) {
      next += 1
      const task = await backendApi(engine.server, 'POST', '/v1/agents/tasks', JSON.parse(engine.body))
      const url = new URL(task.url)
      paths.push(`${url.pathname}${url.search}`)
    }
  }
  await Promise.all(Array.from({ length: 20 }, worker))
  return paths
}

async function startEngine(name, port, env) {
  const server = await startBehalfServer(port, env)
  const user = await backendApi(server, 'POST', '/v1/users', { email_address: ['ada@example.com'], first_name: 'Ada' })
  return { name, server, body: taskBody(user.id), create: [], accept: [] }
}

async function measureCreate(engine) {
  return runLoad({ ...createLoadOptions(engine), duration: DURATION_SECONDS })
}

/**
 * Opens each of ACCEPT_REQUESTS fresh task URLs once. autocannon notices the end of a run with a
 * fixed request count only at its next 1-second sample, so its duration is rounded up to the
 * next whole second (6,000 requests in 3.2 s were reported as 4.01 s). The rate here divides by
 * the time from the first request sent to the last response received instead.
 */
async function measureAccept(engine) {
  const paths = await createTasks(engine, ACCEPT_REQUESTS)
  let index = 0
  let firstSentAt = 0
  let lastReceivedAt = 0
  const result = await runLoad({
    url: engine.server.directUrl,
    connections: CONNECTIONS,
    amount: paths.length,
    requests: [
      {
        method: 'GET',
        setupRequest: (request) => {
          if (index === 0) firstSentAt = performance.now()
          return { ...request, path: paths[index++] }
        },
        onResponse: () => {
          lastReceivedAt = performance.now()
        },
      },
    ],
    expectStatus: '3xx',
  })
  return { ...result, requestsPerSecond: result.total / ((lastReceivedAt - firstSentAt) / 1000) }
}

async function main() {
  printMachine('Server throughput')
  console.log(`${ROUNDS} rounds; create: ${DURATION_SECONDS} s per run; accept: ${ACCEPT_REQUESTS} fresh tasks per run; ${CONNECTIONS} connections\n`)

  const engines = []
  const databaseName = `behalf_bench_${process.pid}`
  let admin
  try {
    engines.push(await startEngine('SQLite', 4320, {}))

    if (process.env.BENCH_SKIP_POSTGRES !== '1') {
      admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL })
      await admin.connect()
      await admin.query(`CREATE DATABASE ${databaseName}`)
      const databaseUrl = new URL(ADMIN_DATABASE_URL)
      databaseUrl.pathname = `/${databaseName}`
      engines.push(
        await startEngine('PostgreSQL', 4321, {
          DATABASE_URL: databaseUrl.href,
          BEHALF_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        }),
      )
    }

    // Warm-up: JIT, prepared statements, connection pools.
    for (const engine of engines) {
      await runLoad({ ...createLoadOptions(engine), duration: 2 })
    }

    for (let round = 0; round < ROUNDS; round++) {
      for (const engine of alternate(engines, round)) {
        engine.create.push(await measureCreate(engine))
        engine.accept.push(await measureAccept(engine))
        const create = engine.create[round]
        const accept = engine.accept[round]
        console.log(
          `round ${round + 1} ${engine.name}: create ${formatNumber(create.requestsPerSecond)}/s (p50 ${create.p50} ms, p99 ${create.p99} ms), ` +
            `accept ${formatNumber(accept.requestsPerSecond)}/s (p50 ${accept.p50} ms, p99 ${accept.p99} ms)`,
        )
      }
    }

    const rows = []
    for (const engine of engines) {
      for (const operation of ['create', 'accept']) {
        const runs = engine[operation]
        rows.push({
          database: engine.name,
          operation: operation === 'create' ? 'POST /v1/agents/tasks → 200' : 'GET task URL → 303',
          'requests/s (median)': formatNumber(median(runs.map((run) => run.requestsPerSecond))),
          'p50 ms (median)': formatNumber(median(runs.map((run) => run.p50))),
          'p99 ms (median)': formatNumber(median(runs.map((run) => run.p99))),
        })
      }
    }
    console.log(`\n${markdownTable(rows)}`)
  } finally {
    for (const engine of engines) await engine.server.stop()
    await stopAll()
    if (admin !== undefined) {
      await admin.query(`DROP DATABASE IF EXISTS ${databaseName}`)
      await admin.end()
    }
  }
}

function createLoadOptions(engine) {
  return {
    url: `${engine.server.directUrl}/v1/agents/tasks`,
    method: 'POST',
    connections: CONNECTIONS,
    headers: { authorization: `Bearer ${engine.server.secretKey}`, 'content-type': 'application/json' },
    body: engine.body,
  }
}

main().catch(async (error) => {
  console.error(error)
  await stopAll()
  process.exitCode = 1
})
