import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { loadConfig } from '../src/config.js'
import { createSecretKey } from '../src/keys/secret-keys.js'
import { TokenBucketLimiter } from '../src/http/rate-limit.js'
import { APP_REDIRECT_URL, createTask, createUser, firstError, visit } from './support/fixtures.js'
import { signIn } from './support/forms.js'
import { readResponse, startTestServer, type TestServer } from './support/server.js'

let server: TestServer

beforeAll(async () => {
  server = await startTestServer({
    BEHALF_RATE_LIMIT_API_PER_SECOND: '5',
    BEHALF_RATE_LIMIT_ACCEPT_PER_MINUTE: '6',
    BEHALF_RATE_LIMIT_SIGN_IN_PER_MINUTE: '6',
  })
})

afterAll(async () => {
  await server?.close()
})

/** Waits until a bucket of `perSecond` tokens has refilled to `tokens`. */
function refill(tokens: number, perSecond: number) {
  return new Promise((resolve) => setTimeout(resolve, Math.ceil((tokens / perSecond) * 1000) + 50))
}

describe('token bucket', () => {
  it('allows burst then waits', () => {
    const limiter = new TokenBucketLimiter({ perSecond: 1, burst: 3 })
    const start = 1_000_000
    expect(limiter.take('a', start)).toBe(0)
    expect(limiter.take('a', start)).toBe(0)
    expect(limiter.take('a', start)).toBe(0)
    expect(limiter.take('a', start)).toBe(1)
    expect(limiter.take('b', start)).toBe(0)
    expect(limiter.take('a', start + 1000)).toBe(0)
  })

  it('zero rate means unlimited', () => {
    const limiter = new TokenBucketLimiter({ perSecond: 0, burst: 0 })
    for (let index = 0; index < 1000; index++) expect(limiter.take('a')).toBe(0)
  })
})

describe('defaults', () => {
  it('development never limits a test run', () => {
    const limits = loadConfig({ BEHALF_ENV: 'development' }).rateLimits
    expect(limits.backendApi.perSecond).toBeGreaterThanOrEqual(1000)
    expect(limits.accept.burst).toBeGreaterThanOrEqual(1000)
    expect(limits.signIn.burst).toBeGreaterThanOrEqual(100)
  })

  it('production limits sign-in tightly', () => {
    const limits = loadConfig({ BEHALF_ENV: 'production', BEHALF_PUBLIC_URL: 'https://auth.example.com' }).rateLimits
    expect(limits.backendApi.perSecond).toBe(100)
    expect(limits.signIn.burst).toBe(5)
    expect(limits.accept.perSecond).toBe(1)
  })
})

describe('Backend API per secret key', () => {
  it('429 with Retry-After past the burst', async () => {
    await refill(10, 5)
    const statuses: number[] = []
    let limited = null
    for (let index = 0; index < 15; index++) {
      const response = await server.api('GET', '/v1/users')
      statuses.push(response.status)
      if (response.status === 429) limited = response
    }

    expect(statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(10)
    expect(limited).not.toBeNull()
    expect(limited?.statusText).toBe('Too Many Requests')
    expect(limited?.headers.get('retry-after')).toBe('1')
    expect(limited ? firstError(limited).code : null).toBe('too_many_requests')
  })

  it('other secret key is not limited', async () => {
    const other = await createSecretKey(server.db, 'development')
    const response = await server.api('GET', '/v1/users', undefined, { authorization: `Bearer ${other.secretKey}` })
    expect(response.status).toBe(200)
  })
})

describe('accept per client address', () => {
  it('limited visit consumes no ticket', async () => {
    await refill(10, 5)
    const user = await createUser(server)
    const task = await createTask(server, user.id)

    // The burst is 10 visits; unknown tickets spend it.
    const unknownUrl = task.url.replace(/ticket=[^&]+/, `ticket=${'A'.repeat(43)}`)
    for (let index = 0; index < 10; index++) {
      const response = await visit(unknownUrl, { Accept: 'application/json' })
      expect(response.status).toBe(404)
      await response.body?.cancel()
    }

    const limited = await readResponse(await visit(task.url, { Accept: 'application/json' }))
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(firstError(limited).code).toBe('too_many_requests')

    const html = await visit(task.url)
    expect(html.status).toBe(429)
    expect(await html.text()).toContain('too_many_requests')

    const details = await server.api('GET', `/v1/agents/tasks/${task.agentTaskId}`)
    expect(details.body.status).toBe('pending')

    await refill(1, 0.1)
    const accepted = await visit(task.url)
    expect(accepted.status).toBe(303)
  }, 30_000)
})

describe('hosted sign-in per client address', () => {
  it('sixth attempt gets 429', async () => {
    const statuses: number[] = []
    for (let index = 0; index < 6; index++) {
      const response = await signIn(server, { email: 'nobody@example.com', password: 'wrong password' }, APP_REDIRECT_URL)
      statuses.push(response.status)
      await response.body?.cancel()
    }
    // openForm's GET is not limited; only the posts are.
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401])
    expect(statuses[5]).toBe(429)
  })
})
