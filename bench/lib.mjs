/**
 * Helpers shared by the benchmarks: child processes stopped by PID, a Behalf server on a fresh
 * data directory, autocannon runs against 127.0.0.1, medians and a description of the machine.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import autocannon from 'autocannon'

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url))
export const REPOSITORY_ROOT = path.resolve(BENCH_DIR, '..')
export const SERVER_CLI = path.join(REPOSITORY_ROOT, 'packages/server/dist/cli.js')

const running = new Set()

/** Spawns `node <args…>` and keeps the last 20,000 characters of its output for error messages. */
export function startProcess(name, args, env = {}, options = {}) {
  const child = spawn(process.execPath, args, {
    cwd: options.cwd ?? REPOSITORY_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-20_000)
  }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)

  const handle = {
    name,
    child,
    pid: child.pid,
    output: () => output,
    async stop() {
      running.delete(handle)
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      process.kill(child.pid, 'SIGTERM')
      const timer = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL')
      }, 5_000)
      await exited
      clearTimeout(timer)
    },
  }
  running.add(handle)
  return handle
}

/** Stops every process this benchmark started, by PID. */
export async function stopAll() {
  await Promise.all([...running].map((handle) => handle.stop()))
}

// A benchmark that fails or is interrupted still stops its servers.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    stopAll().finally(() => process.exit(130))
  })
}

/** Polls `url` until it responds with a status below 500; throws when the process exits or `timeoutMs` passes. */
export async function waitForHttp(url, handle, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (handle.child.exitCode !== null) {
      throw new Error(`${handle.name} exited with code ${handle.child.exitCode} before ${url} responded:\n${handle.output()}`)
    }
    try {
      const response = await fetch(url, { redirect: 'manual' })
      await response.arrayBuffer()
      if (response.status < 500) return
    } catch {
      // Not listening yet.
    }
    await sleep(50)
  }
  throw new Error(`${handle.name} did not respond at ${url} within ${timeoutMs} ms:\n${handle.output()}`)
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * Starts `behalf start` on a fresh SQLite data directory (or on `databaseUrl`), with the rate
 * limits off and logs at warn, and reads the secret key it creates on its first start.
 */
export async function startBehalfServer(port, env = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'behalf-bench-'))
  const handle = startProcess('behalf server', [SERVER_CLI, 'start'], {
    BEHALF_PORT: String(port),
    BEHALF_HOST: '127.0.0.1',
    BEHALF_DATA_DIR: dataDir,
    BEHALF_ENV: 'development',
    BEHALF_LOG_LEVEL: 'warn',
    BEHALF_RATE_LIMIT_API_PER_SECOND: '0',
    BEHALF_RATE_LIMIT_ACCEPT_PER_MINUTE: '0',
    ...env,
  })
  await waitForHttp(`http://127.0.0.1:${port}/health`, handle)

  let secretKey = env.BEHALF_SECRET_KEY
  if (secretKey === undefined) secretKey = fs.readFileSync(path.join(dataDir, 'secret-key'), 'utf8').trim()
  return {
    url: `http://localhost:${port}`,
    directUrl: `http://127.0.0.1:${port}`,
    secretKey,
    dataDir,
    process: handle,
    async stop() {
      await handle.stop()
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** Calls the Backend API of a server started by {@link startBehalfServer} and returns the parsed JSON body. */
export async function backendApi(server, method, pathname, body) {
  const response = await fetch(`${server.directUrl}${pathname}`, {
    method,
    headers: { Authorization: `Bearer ${server.secretKey}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${method} ${pathname} failed with ${response.status}: ${text}`)
  return JSON.parse(text)
}

/**
 * Signs a user in the way a browser would after an agent-task visit: creates the task, accepts
 * it, and exchanges the handoff code for the app's session token and refresh token.
 */
export async function signInThroughAgentTask(server, userId, appOrigin) {
  const task = await backendApi(server, 'POST', '/v1/agents/tasks', {
    on_behalf_of: { user_id: userId },
    permissions: '*',
    agent_name: 'bench',
    task_description: 'Benchmark sign-in',
    redirect_url: `${appOrigin}/`,
  })
  const accept = await fetch(task.url.replace(server.url, server.directUrl), { redirect: 'manual' })
  await accept.arrayBuffer()
  const location = accept.headers.get('location')
  if (accept.status !== 303 || location === null) throw new Error(`Accepting the agent task returned ${accept.status}`)
  const code = new URL(location).searchParams.get('__behalf_handoff')
  const tokens = await backendApi(server, 'POST', '/v1/handoffs/exchange', { code, origin: appOrigin })
  return { sessionToken: tokens.session_token, refreshToken: tokens.refresh_token }
}

/**
 * Runs autocannon against one URL and returns requests/s with latency percentiles. Throws when
 * any response was not 2xx or 3xx (as `expectedStatus` allows) or a request failed, because a
 * benchmark of error responses measures the wrong path.
 */
export async function runLoad({ url, connections = 50, duration = 5, amount, headers = {}, requests, method = 'GET', body, expectStatus }) {
  const options = { url, connections, headers, method, body, requests }
  if (amount !== undefined) options.amount = amount
  else options.duration = duration
  const result = await autocannon(options)

  const expected = expectStatus ?? '2xx'
  const good = result[expected]
  const total = result['1xx'] + result['2xx'] + result['3xx'] + result['4xx'] + result['5xx']
  if (result.errors > 0 || result.timeouts > 0 || good !== total || total === 0) {
    throw new Error(
      `Load run on ${url} had ${result.errors} errors, ${result.timeouts} timeouts and ${total - good} responses other than ${expected} ` +
        `(2xx ${result['2xx']}, 3xx ${result['3xx']}, 4xx ${result['4xx']}, 5xx ${result['5xx']}).`,
    )
  }
  return {
    requestsPerSecond: total / (result.duration || duration),
    total,
    p50: result.latency.p50,
    p99: result.latency.p99,
  }
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/** Returns the rounds' order of `items`: forward in even rounds, reversed in odd ones. */
export function alternate(items, round) {
  return round % 2 === 0 ? [...items] : [...items].reverse()
}

/** Cores, CPU model, Node version, date and load average, for the benchmark record. */
export function describeMachine() {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8')
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? 'unknown'
  return {
    cores: os.cpus().length,
    cpu: model,
    node: process.version,
    date: new Date().toISOString(),
    loadAverage: os.loadavg().map((value) => value.toFixed(2)).join(' '),
  }
}

export function printMachine(title) {
  const machine = describeMachine()
  console.log(`# ${title}`)
  console.log(`${machine.cores} cores, ${machine.cpu}, Node ${machine.node}, ${machine.date}, load average ${machine.loadAverage}`)
  if (os.loadavg()[0] > 1.5) {
    console.log(`WARNING: the 1-minute load average is ${os.loadavg()[0].toFixed(2)} on ${machine.cores} cores; other work may distort these figures.`)
  }
}

/** Formats rows of equal keys as a Markdown table. */
export function markdownTable(rows) {
  const columns = Object.keys(rows[0])
  const lines = [`| ${columns.join(' | ')} |`, `|${columns.map(() => '---').join('|')}|`]
  for (const row of rows) lines.push(`| ${columns.map((column) => row[column]).join(' | ')} |`)
  return lines.join('\n')
}

export function formatNumber(value, digits = 0) {
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
}
