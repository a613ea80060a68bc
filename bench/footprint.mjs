/**
 * Server footprint on SQLite: resident memory (RSS) when idle, RSS after 100,000 created agent
 * tasks, and cold start, the time from spawning `behalf start` to the first 200 from /health.
 * Cold start is measured on a fresh data directory (migrations, first signing key and secret
 * key) and again on the existing one.
 *
 * Environment: BENCH_TASKS (default 100000), BENCH_STARTS per kind of start (default 5).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import { SERVER_CLI, backendApi, formatNumber, markdownTable, median, printMachine, runLoad, sleep, startProcess, stopAll } from './lib.mjs'

const TASKS = Number(process.env.BENCH_TASKS ?? 100_000)
const STARTS = Number(process.env.BENCH_STARTS ?? 5)
const PORT = 4330

function serverEnv(dataDir) {
  return {
    BEHALF_PORT: String(PORT),
    BEHALF_HOST: '127.0.0.1',
    BEHALF_DATA_DIR: dataDir,
    BEHALF_ENV: 'development',
    BEHALF_LOG_LEVEL: 'warn',
    BEHALF_RATE_LIMIT_API_PER_SECOND: '0',
  }
}

/** Resident set size of a process in MB, from /proc/<pid>/status. */
function residentMegabytes(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
  const kilobytes = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1])
  return kilobytes / 1024
}

/** Spawns the server and polls /health every 5 ms; returns the process and the milliseconds to the first 200. */
async function coldStart(dataDir) {
  const started = performance.now()
  const handle = startProcess('behalf server', [SERVER_CLI, 'start'], serverEnv(dataDir))
  while (performance.now() - started < 30_000) {
    if (handle.child.exitCode !== null) throw new Error(`The server exited with code ${handle.child.exitCode}:\n${handle.output()}`)
    try {
      const response = await fetch(`http://127.0.0.1:${PORT}/health`)
      await response.arrayBuffer()
      if (response.status === 200) return { handle, milliseconds: performance.now() - started }
    } catch {
      // Not listening yet.
    }
    await sleep(5)
  }
  throw new Error(`The server did not respond at /health within 30 s:\n${handle.output()}`)
}

async function main() {
  printMachine('Server footprint (SQLite)')
  const dataDirs = []
  const freshStarts = []
  const restarts = []
  try {
    for (let index = 0; index < STARTS; index++) {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'behalf-bench-footprint-'))
      dataDirs.push(dataDir)
      const fresh = await coldStart(dataDir)
      freshStarts.push(fresh.milliseconds)
      await fresh.handle.stop()
      const again = await coldStart(dataDir)
      restarts.push(again.milliseconds)
      await again.handle.stop()
    }

    const { handle } = await coldStart(dataDirs[0])
    const server = {
      directUrl: `http://127.0.0.1:${PORT}`,
      secretKey: fs.readFileSync(path.join(dataDirs[0], 'secret-key'), 'utf8').trim(),
    }
    const user = await backendApi(server, 'POST', '/v1/users', { email_address: ['ada@example.com'] })
    await sleep(2_000)
    const idle = residentMegabytes(handle.pid)

    const load = await runLoad({
      url: `${server.directUrl}/v1/agents/tasks`,
      method: 'POST',
      connections: 20,
      amount: TASKS,
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        on_behalf_of: { user_id: user.id },
        permissions: '*',
        agent_name: 'bench-agent',
        task_description: 'Footprint benchmark',
        redirect_url: 'http://localhost:3000/dashboard',
      }),
    })
    const loaded = residentMegabytes(handle.pid)
    await sleep(5_000)
    const settled = residentMegabytes(handle.pid)
    await handle.stop()

    console.log(
      `\n${markdownTable([
        { measure: 'idle RSS (after start and one API call)', value: `${formatNumber(idle, 1)} MB` },
        { measure: `RSS right after ${formatNumber(load.total)} created tasks`, value: `${formatNumber(loaded, 1)} MB` },
        { measure: 'RSS 5 s later', value: `${formatNumber(settled, 1)} MB` },
        { measure: `cold start, fresh data directory (median of ${STARTS})`, value: `${formatNumber(median(freshStarts))} ms` },
        { measure: `cold start, existing data directory (median of ${STARTS})`, value: `${formatNumber(median(restarts))} ms` },
      ])}`,
    )
  } finally {
    await stopAll()
    for (const dataDir of dataDirs) fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

main().catch(async (error) => {
  console.error(error)
  await stopAll()
  process.exitCode = 1
})
