/**
 * Middleware overhead: requests/s of a hello-world route in Express, Fastify and Hono, bare and
 * behind an auth middleware that finds a signed-in session cookie, measured side by side.
 *
 * Behalf's rows verify a real session token from a real Behalf server that this script starts
 * (the middleware fetches that server's JWKS once). Clerk's rows run networkless, with a PEM
 * public key as `jwtKey` and a token signed here. Better Auth's row calls `getSession` on
 * SQLite from a Hono route.
 *
 * Environment: BENCH_ROUNDS (default 5), BENCH_DURATION_SECONDS per run (default 4),
 * BENCH_CONNECTIONS (default 50).
 */
import { generateKeyPairSync } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import { SignJWT, importPKCS8 } from 'jose'

import {
  BENCH_DIR,
  alternate,
  backendApi,
  formatNumber,
  markdownTable,
  median,
  printMachine,
  runLoad,
  signInThroughAgentTask,
  startBehalfServer,
  startProcess,
  stopAll,
  waitForHttp,
} from './lib.mjs'
import { prepareBetterAuthSession } from './middleware/better-auth.mjs'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const DURATION_SECONDS = Number(process.env.BENCH_DURATION_SECONDS ?? 4)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const WARMUP_SECONDS = 2

const BEHALF_PORT = 4310
// Requests name this origin in their Host header, so that Behalf's default authorized party (the
// request's origin) matches the `azp` of the session token, as it does for a browser.
const APP_ORIGIN = 'http://localhost:3000'

// Each variant is compared with the bare server of the same framework.
const VARIANTS = [
  { name: 'express-bare', port: 3401, baseline: null },
  { name: 'express-behalf', port: 3402, baseline: 'express-bare' },
  { name: 'express-clerk', port: 3403, baseline: 'express-bare' },
  { name: 'fastify-bare', port: 3404, baseline: null },
  { name: 'fastify-behalf', port: 3405, baseline: 'fastify-bare' },
  { name: 'fastify-clerk', port: 3406, baseline: 'fastify-bare' },
  { name: 'hono-bare', port: 3407, baseline: null },
  { name: 'hono-behalf', port: 3408, baseline: 'hono-bare' },
  { name: 'hono-betterauth', port: 3409, baseline: 'hono-bare' },
]

const LABELS = {
  'express-bare': 'Express 5, bare',
  'express-behalf': 'Express 5 + @behalf/express',
  'express-clerk': 'Express 5 + @clerk/express (jwtKey)',
  'fastify-bare': 'Fastify 5, bare',
  'fastify-behalf': 'Fastify 5 + @behalf/fastify',
  'fastify-clerk': 'Fastify 5 + @clerk/fastify (jwtKey)',
  'hono-bare': 'Hono 4 (@hono/node-server), bare',
  'hono-behalf': 'Hono 4 + @behalf/hono',
  'hono-betterauth': 'Hono 4 + better-auth getSession (SQLite)',
}

/** Signs a token with the claims Clerk's networkless verification checks, valid for an hour. */
async function signClerkToken(privateKeyPem) {
  const now = Math.floor(Date.now() / 1000)
  const key = await importPKCS8(privateKeyPem, 'RS256')
  const token = await new SignJWT({ sid: 'sess_bench', azp: APP_ORIGIN, v: 2, sts: 'active' })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'ins_bench' })
    .setSubject('user_bench')
    .setIssuer('https://clerk.bench.example')
    .setIssuedAt(now - 10)
    .setNotBefore(now - 10)
    .setExpirationTime(now + 3600)
    .sign(key)
  return { token, issuedAt: now - 10 }
}

async function prepareCookies(workDir) {
  // Session tokens live an hour here, so that none expires during the run and every request
  // takes the same path.
  const server = await startBehalfServer(BEHALF_PORT, { BEHALF_SESSION_TOKEN_TTL_SECONDS: '3600' })
  const user = await backendApi(server, 'POST', '/v1/users', { email_address: ['ada@example.com'], first_name: 'Ada' })
  const behalfTokens = await signInThroughAgentTask(server, user.id, APP_ORIGIN)

  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  })
  const clerk = await signClerkToken(privateKey)

  const betterAuthDatabase = path.join(workDir, 'better-auth.db')
  const betterAuthCookie = await prepareBetterAuthSession(betterAuthDatabase, 'http://localhost:3409')

  return {
    server,
    env: {
      BEHALF_SECRET_KEY: server.secretKey,
      BEHALF_API_URL: server.url,
      BENCH_CLERK_PUBLIC_KEY: publicKey,
      BENCH_BETTER_AUTH_DB: betterAuthDatabase,
    },
    cookies: {
      behalf: `__behalf_session=${behalfTokens.sessionToken}; __behalf_refresh=${behalfTokens.refreshToken}`,
      clerk: `__session=${clerk.token}; __client_uat=${clerk.issuedAt}`,
      betterauth: betterAuthCookie,
      bare: `__behalf_session=${behalfTokens.sessionToken}; __behalf_refresh=${behalfTokens.refreshToken}`,
    },
  }
}

function requestHeaders(variant, cookies) {
  const auth = variant.name.split('-')[1]
  return { host: new URL(APP_ORIGIN).host, cookie: cookies[auth] }
}

/** Checks that each auth variant sees the benchmark's request as signed in, so the measured path is the signed-in one. */
async function checkSignedIn(variant, headers) {
  const response = await fetchWithHost(`http://127.0.0.1:${variant.port}/whoami`, headers)
  if (variant.baseline !== null && typeof response.userId !== 'string') {
    throw new Error(`${variant.name} does not see the benchmark's request as signed in: /whoami returned ${JSON.stringify(response)}.`)
  }
}

// fetch() does not let a caller set Host, so node:http sends the check request.
async function fetchWithHost(url, headers) {
  const http = await import('node:http')
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers }, (response) => {
      let body = ''
      response.on('data', (chunk) => (body += chunk))
      response.on('end', () => {
        try {
          resolve(JSON.parse(body))
        } catch (error) {
          reject(new Error(`${url} returned ${response.statusCode} with a body that is not JSON: ${body.slice(0, 200)}`, { cause: error }))
        }
      })
    })
    request.on('error', reject)
  })
}

async function main() {
  printMachine('Middleware overhead')
  console.log(`${ROUNDS} rounds, ${DURATION_SECONDS} s per run, ${CONNECTIONS} connections, order reversed every other round\n`)

  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'behalf-bench-middleware-'))
  let prepared
  try {
    prepared = await prepareCookies(workDir)

    for (const variant of VARIANTS) {
      const handle = startProcess(variant.name, [path.join(BENCH_DIR, 'middleware/app.mjs'), variant.name, String(variant.port)], prepared.env, {
        cwd: BENCH_DIR,
      })
      await waitForHttp(`http://127.0.0.1:${variant.port}/`, handle)
      variant.headers = requestHeaders(variant, prepared.cookies)
      await checkSignedIn(variant, variant.headers)
    }

    for (const variant of VARIANTS) {
      await runLoad({ url: `http://127.0.0.1:${variant.port}/`, connections: CONNECTIONS, duration: WARMUP_SECONDS, headers: variant.headers })
    }

    const results = Object.fromEntries(VARIANTS.map((variant) => [variant.name, []]))
    for (let round = 0; round < ROUNDS; round++) {
      for (const variant of alternate(VARIANTS, round)) {
        const result = await runLoad({ url: `http://127.0.0.1:${variant.port}/`, connections: CONNECTIONS, duration: DURATION_SECONDS, headers: variant.headers })
        results[variant.name].push(result.requestsPerSecond)
      }
      console.log(`round ${round + 1}: ${VARIANTS.map((variant) => `${variant.name} ${formatNumber(results[variant.name][round])}`).join(', ')}`)
    }

    // Each round's ratio compares runs a few seconds apart, so a slow drift of the machine cancels out.
    const rows = VARIANTS.map((variant) => {
      const rates = results[variant.name]
      const ratios = variant.baseline === null ? null : rates.map((rate, round) => rate / results[variant.baseline][round])
      return {
        server: LABELS[variant.name],
        'requests/s (median)': formatNumber(median(rates)),
        'min–max': `${formatNumber(Math.min(...rates))}–${formatNumber(Math.max(...rates))}`,
        'ratio to bare (median of rounds)': ratios === null ? '1' : formatNumber(median(ratios), 2),
      }
    })
    console.log(`\n${markdownTable(rows)}`)
  } finally {
    await prepared?.server.stop()
    await stopAll()
    fs.rmSync(workDir, { recursive: true, force: true })
  }
}

main().catch(async (error) => {
  console.error(error)
  await stopAll()
  process.exitCode = 1
})
