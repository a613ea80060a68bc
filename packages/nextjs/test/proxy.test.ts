import { createClient, type BehalfClient } from '@behalf/backend'
import { NextRequest } from 'next/server'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'

import { cookieHeaderFrom, serverBuilt, startBehalfServer, type BehalfProcess } from '../../backend/test/helpers/behalf-process.js'
import { FORWARDED_SIGNATURE_HEADER, FORWARDED_STATE_HEADER, verifyForwardedState } from '../src/forwarded-state.js'
import { behalfMiddleware } from '../src/proxy.js'

const APP_URL = 'http://localhost:3000'

/** Returns the request headers that NextResponse.next() hands to the rendering. */
function forwardedRequestHeaders(response: Response): Map<string, string> {
  const names = (response.headers.get('x-middleware-override-headers') ?? '').split(',').filter((name) => name !== '')
  return new Map(names.map((name) => [name, response.headers.get(`x-middleware-request-${name}`) ?? '']))
}

describe('behalfMiddleware options', () => {
  it('missing secret key throws', () => {
    vi.stubEnv('BEHALF_SECRET_KEY', '')
    try {
      expect(() => behalfMiddleware()).toThrow(/BEHALF_SECRET_KEY/)
    } finally {
      vi.unstubAllEnvs()
    }
  })
})

describe.skipIf(!serverBuilt)('behalfMiddleware with a real Behalf server', () => {
  let behalfServer: BehalfProcess
  let behalf: BehalfClient
  let userId: string

  beforeAll(async () => {
    behalfServer = await startBehalfServer({ BEHALF_ALLOWED_ORIGINS: APP_URL })
    vi.stubEnv('BEHALF_SECRET_KEY', behalfServer.secretKey)
    vi.stubEnv('BEHALF_API_URL', behalfServer.publicUrl)
    behalf = createClient()
    const user = await behalf.users.create({ emailAddress: 'nextjs@example.com', skipPasswordRequirement: true })
    userId = user.id
  }, 30_000)

  afterAll(async () => {
    vi.unstubAllEnvs()
    await behalfServer?.stop()
  })

  async function handoffUrl(): Promise<string> {
    const agentTask = await behalf.agentTasks.create({
      onBehalfOf: { userId },
      permissions: '*',
      agentName: 'nextjs-agent',
      taskDescription: 'Next.js proxy test',
      redirectUrl: `${APP_URL}/dashboard?tab=agents`,
    })
    const accepted = await fetch(agentTask.url, { redirect: 'manual' })
    return accepted.headers.get('Location') ?? ''
  }

  async function signIn(): Promise<string> {
    const response = await behalfMiddleware()(new NextRequest(await handoffUrl()), undefined as never)
    return cookieHeaderFrom((response as Response).headers.getSetCookie())
  }

  it('handoff redirects with cookies', async () => {
    const response = (await behalfMiddleware()(new NextRequest(await handoffUrl()), undefined as never)) as Response

    expect(response.status).toBe(303)
    expect(response.headers.get('Location')).toBe(`${APP_URL}/dashboard?tab=agents`)
    expect(response.headers.get('Cache-Control')).toBe('no-store')
    const cookieNames = response.headers.getSetCookie().map((cookie) => cookie.split('=')[0])
    expect(cookieNames).toEqual(['__behalf_session', '__behalf_refresh'])
  })

  it('forwards signed state when signed in', async () => {
    const cookie = await signIn()
    const request = new NextRequest(`${APP_URL}/dashboard`, { headers: { Cookie: cookie } })

    const response = (await behalfMiddleware()(request, undefined as never)) as Response
    const forwarded = forwardedRequestHeaders(response)
    const state = await verifyForwardedState(
      forwarded.get(FORWARDED_STATE_HEADER) ?? '',
      forwarded.get(FORWARDED_SIGNATURE_HEADER) ?? '',
      behalfServer.secretKey,
    )

    expect(response.headers.get('x-middleware-next')).toBe('1')
    expect(forwarded.get('cookie')).toBe(cookie)
    expect(state?.status).toBe('signed-in')
    expect(state?.reason).toBe('session-token-valid')
    expect(cookie).toContain(`__behalf_session=${state?.sessionToken}`)
    expect(state?.options.authorizedParties).toEqual([APP_URL])
  })

  it('replaces client-sent state headers', async () => {
    const request = new NextRequest(`${APP_URL}/api/me`, {
      headers: { 'X-Behalf-Auth-State': 'forged', 'X-Behalf-Auth-Signature': 'forged', 'X-Behalf-Other': 'forged' },
    })

    const response = (await behalfMiddleware()(request, undefined as never)) as Response
    const forwarded = forwardedRequestHeaders(response)
    const state = await verifyForwardedState(
      forwarded.get(FORWARDED_STATE_HEADER) ?? '',
      forwarded.get(FORWARDED_SIGNATURE_HEADER) ?? '',
      behalfServer.secretKey,
    )

    expect(forwarded.has('x-behalf-other')).toBe(false)
    expect(forwarded.get(FORWARDED_STATE_HEADER)).not.toBe('forged')
    expect(state?.status).toBe('signed-out')
    expect(state?.sessionToken).toBeNull()
  })

  it('state fails with another key', async () => {
    const response = (await behalfMiddleware()(new NextRequest(`${APP_URL}/`), undefined as never)) as Response
    const forwarded = forwardedRequestHeaders(response)

    const state = await verifyForwardedState(
      forwarded.get(FORWARDED_STATE_HEADER) ?? '',
      forwarded.get(FORWARDED_SIGNATURE_HEADER) ?? '',
      'sk_test_another_key',
    )

    expect(state).toBeNull()
  })
})
