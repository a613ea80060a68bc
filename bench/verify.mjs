/**
 * Token verification on one core: Behalf's `verifyToken` for tokens it has not seen before (so
 * its cache misses and the RS256 signature is checked) against `node:crypto` verifying the
 * same kind of token's signature directly. Both sides get a fresh token per operation, signed
 * ahead of the timed part with the same 2048-bit key and Behalf's claims. Tokens are never
 * repeated, so every call misses the cache (and pays for storing its result).
 *
 * Environment: BENCH_ROUNDS (default 5), BENCH_OPERATIONS per round and side (default 4000).
 */
import { createPublicKey, createVerify, generateKeyPairSync } from 'node:crypto'

import { verifyToken } from '@behalf/backend'
import { SignJWT, importPKCS8 } from 'jose'

import { alternate, formatNumber, markdownTable, median, printMachine } from './lib.mjs'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const OPERATIONS = Number(process.env.BENCH_OPERATIONS ?? 4000)
const ISSUER = 'http://localhost:4000'
const APP_ORIGIN = 'http://localhost:3000'

const { publicKey, privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
})
const signingKey = await importPKCS8(privateKey, 'RS256')
const nodePublicKey = createPublicKey(publicKey)

/** Signs `count` distinct session tokens with the claims a Behalf server puts in an agent session's token. */
async function signTokens(count) {
  const now = Math.floor(Date.now() / 1000)
  const tokens = []
  for (let index = 0; index < count; index++) {
    const token = await new SignJWT({
      sid: `sess_${index}`,
      azp: APP_ORIGIN,
      sts: 'active',
      permissions: ['*'],
      act: { sub: 'agent_bench', name: 'bench', agent_task_id: `agtask_${index}` },
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'bench-key' })
      .setSubject(`user_${index}`)
      .setIssuer(ISSUER)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 3600)
      .sign(signingKey)
    tokens.push(token)
  }
  return tokens
}

async function runBehalf(tokens) {
  const options = { apiUrl: ISSUER, jwtKey: publicKey, authorizedParties: [APP_ORIGIN] }
  const started = process.hrtime.bigint()
  for (const token of tokens) await verifyToken(token, options)
  return tokens.length / (Number(process.hrtime.bigint() - started) / 1e9)
}

/** Checks the signature alone: RSASSA-PKCS1-v1_5 with SHA-256 over `header.payload`, as RS256 defines it. */
function runNodeCrypto(tokens) {
  const started = process.hrtime.bigint()
  for (const token of tokens) {
    const lastDot = token.lastIndexOf('.')
    const verifier = createVerify('RSA-SHA256')
    verifier.update(token.slice(0, lastDot))
    if (!verifier.verify(nodePublicKey, token.slice(lastDot + 1), 'base64url')) throw new Error('node:crypto rejected a valid token.')
  }
  return tokens.length / (Number(process.hrtime.bigint() - started) / 1e9)
}

async function main() {
  printMachine('Token verification (cache miss)')
  console.log(`${ROUNDS} rounds of ${OPERATIONS} fresh tokens per side, order reversed every other round\n`)

  // Warm-up: JIT, the PEM import and the first cache allocation.
  const warmup = await signTokens(500)
  await runBehalf(warmup)
  runNodeCrypto(warmup)

  const sides = ['behalf', 'node']
  const results = { behalf: [], node: [] }
  for (let round = 0; round < ROUNDS; round++) {
    for (const side of alternate(sides, round)) {
      const tokens = await signTokens(OPERATIONS)
      results[side].push(side === 'behalf' ? await runBehalf(tokens) : runNodeCrypto(tokens))
    }
    console.log(`round ${round + 1}: verifyToken ${formatNumber(results.behalf[round])}/s, node:crypto ${formatNumber(results.node[round])}/s`)
  }

  const ratios = results.behalf.map((rate, round) => rate / results.node[round])
  console.log(
    `\n${markdownTable([
      { path: 'node:crypto RS256 signature check', 'operations/s (median)': formatNumber(median(results.node)), ratio: '1' },
      {
        path: '@behalf/backend verifyToken, cache miss',
        'operations/s (median)': formatNumber(median(results.behalf)),
        ratio: formatNumber(median(ratios), 2),
      },
    ])}`,
  )
}

await main()
