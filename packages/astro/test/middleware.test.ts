import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

import { createClient, type BehalfClient } from '@behalf/backend'
import type { APIContext, AstroIntegration, MiddlewareNext } from 'astro'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'

import {
  cookieHeaderFrom,
  serverBuilt,
  startBehalfServer,
  type BehalfProcess,
} from '../../backend/test/helpers/behalf-process.js'
import { behalf } from '../src/index.js'
import { behalfClient, behalfMiddleware, getRequestState, redirectToSignIn, signOut } from '../src/server.js'

const APP_URL = 'http://localhost:3000'

/** Creates the part of Astro's APIContext that the middleware and helpers read. */
function createContext(path: string, init: RequestInit = {}, isPrerendered = false): APIContext {
  const request = new Request(new URL(path, APP_URL), init)
  return { request, url: new URL(request.url), locals: {}, isPrerendered } as unknown as APIContext
}

function nextReturning(response: Response | (() => Response | Promise<Response>)) {
  return vi.fn<MiddlewareNext>(async () => (typeof response === 'function' ? response() : response))
}

describe('behalfMiddleware without a server', () => {
  afterEach(() => {
    vi.unstubAllEnvs()
  })

  it('signed out request passes through', async () => {
    vi.stubEnv('BEHALF_SECRET_KEY', 'sk_test_unused')
    const context = createContext('/api/me')
    const next = nextReturning(new Response('page'))

    const response = await behalfMiddleware()(context, next)

    expect(next).toHaveBeenCalledOnce()
    expect(await (response as Response).text()).toBe('page')
    expect((response as Response).headers.getSetCookie()).toEqual([])
    expect(context.locals.auth().isAuthenticated).toBe(false)
    expect(context.locals.auth().userId).toBeNull()
    expect(getRequestState(context).reason).toBe('session-token-missing')
  })

  it('missing secret key names variable', async () => {
    vi.stubEnv('BEHALF_SECRET_KEY', '')
    const context = createContext('/api/me')

    await expect(async () => behalfMiddleware()(context, nextReturning(new Response()))).rejects.toThrow(/BEHALF_SECRET_KEY/)
  })

  it('prerendered page auth throws', async () => {
    vi.stubEnv('BEHALF_SECRET_KEY', '')
    const context = createContext('/about', {}, true)
    const next = nextReturning(new Response('static'))

    await behalfMiddleware()(context, next)

    expect(next).toHaveBeenCalledOnce()
    expect(() => context.locals.auth()).toThrow(/prerender = false/)
  })

  it('helpers without middleware throw', async () => {
    const context = createContext('/sign-out', { method: 'POST' })

    await expect(signOut(context)).rejects.toThrow(/behalf\(\) integration/)
    expect(() => getRequestState(context)).toThrow(/behalfMiddleware\(\)/)
    expect(() => redirectToSignIn(context)).toThrow(/behalfMiddleware\(\)/)
  })

  it('client without middleware reads environment', () => {
    vi.stubEnv('BEHALF_SECRET_KEY', '')
    expect(() => behalfClient(createContext('/'))).toThrow(/BEHALF_SECRET_KEY/)
  })

  it('redirects to hosted sign-in', async () => {
    vi.stubEnv('BEHALF_SECRET_KEY', 'sk_test_unused')
    const context = createContext('/dashboard?tab=agents')
    await behalfMiddleware({ apiUrl: 'https://auth.example.com' })(context, nextReturning(new Response()))

    const response = redirectToSignIn(context)

    expect(response.status).toBe(303)
    const location = new URL(response.headers.get('Location') ?? '')
    expect(location.origin + location.pathname).toBe('https://auth.example.com/sign-in')
    expect(location.searchParams.get('redirect_url')).toBe(`${APP_URL}/dashboard?tab=agents`)
  })
})

describe('behalf integration', () => {
  it('rejects secretKey option', () => {
    expect(() => behalf({ secretKey: 'sk_test_x' } as never)).toThrow(/BEHALF_SECRET_KEY/)
  })

  it('adds middleware with options', async () => {
    const codegenDir = await mkdtemp(join(tmpdir(), 'behalf-astro-codegen-'))
    try {
      const addMiddleware = vi.fn()
      const integration: AstroIntegration = behalf({ authorizedParties: ['https://app.example.com'] })
      const setup = integration.hooks['astro:config:setup'] as (options: unknown) => void

      setup({ addMiddleware, createCodegenDir: () => pathToFileURL(`${codegenDir}/`) })

      expect(addMiddleware).toHaveBeenCalledOnce()
      const { order, entrypoint } = addMiddleware.mock.calls[0]?.[0] as { order: string; entrypoint: URL }
      expect(order).toBe('pre')
      const source = await readFile(entrypoint, 'utf8')
      expect(source).toContain("from '@behalf/astro/server'")
      expect(source).toContain('behalfMiddleware({"authorizedParties":["https://app.example.com"]})')
    } finally {
      await rm(codegenDir, { recursive: true, force: true })
    }
  })
})

describe.skipIf(!serverBuilt)('behalfMiddleware with a real Behalf server', () => {
  let behalfServer: BehalfProcess
  let backend: BehalfClient
  let userId: string

  beforeAll(async () => {
    behalfServer = await startBehalfServer({ BEHALF_ALLOWED_ORIGINS: APP_URL })
    vi.stubEnv('BEHALF_SECRET_KEY', behalfServer.secretKey)
    vi.stubEnv('BEHALF_API_URL', behalfServer.publicUrl)
    backend = createClient()
    const user = await backend.users.create({ emailAddress: 'astro@example.com', skipPasswordRequirement: true })
    userId = user.id
  }, 30_000)

  afterAll(async () => {
    vi.unstubAllEnvs()
    await behalfServer?.stop()
  })

  /** Visits a new task URL and returns the app URL it redirects to, with the handoff code. */
  async function acceptNewTask(): Promise<{ handoffUrl: URL; agentTaskId: string }> {
    const agentTask = await backend.agentTasks.create({
      onBehalfOf: { userId },
      permissions: '*',
      agentName: 'astro-agent',
      taskDescription: 'Astro middleware test',
      redirectUrl: `${APP_URL}/dashboard?tab=agents`,
    })
    const accepted = await fetch(agentTask.url, { redirect: 'manual' })
    return { handoffUrl: new URL(accepted.headers.get('Location') ?? ''), agentTaskId: agentTask.agentTaskId }
  }

  async function signIn(): Promise<string> {
    const { handoffUrl } = await acceptNewTask()
    const response = (await behalfMiddleware()(createContext(handoffUrl.href), nextReturning(new Response()))) as Response
    return cookieHeaderFrom(response.headers.getSetCookie())
  }

  it('handoff redirects with cookies', async () => {
    const { handoffUrl } = await acceptNewTask()
    const next = nextReturning(new Response('page'))

    const response = (await behalfMiddleware()(createContext(handoffUrl.href), next)) as Response

    expect(next).not.toHaveBeenCalled()
    expect(response.status).toBe(303)
    expect(response.headers.get('Location')).toBe('/dashboard?tab=agents')
    expect(response.headers.get('Cache-Control')).toBe('no-store')
    const cookieNames = response.headers.getSetCookie().map((cookie) => cookie.split('=')[0])
    expect(cookieNames).toEqual(['__behalf_session', '__behalf_refresh'])
  })

  it('session cookie signs request in', async () => {
    const cookie = await signIn()
    const context = createContext('/api/example', { method: 'POST', headers: { Cookie: cookie } })

    // The brief's Astro route, run as the page after the middleware.
    const response = (await behalfMiddleware()(context, async () => {
      const { isAuthenticated, userId: currentUserId } = context.locals.auth()
      if (!isAuthenticated) {
        return new Response('Unauthorized', { status: 401 })
      }

      const agentTask = await behalfClient(context).agentTasks.create({
        onBehalfOf: { userId: currentUserId },
        permissions: '*',
        agentName: 'my-agent',
        taskDescription: 'Automated test login',
        redirectUrl: `${APP_URL}/dashboard`,
      })

      return new Response(JSON.stringify({ message: 'Agent Task created', agentTask }), { status: 200 })
    })) as Response

    const auth = context.locals.auth()
    expect(auth.userId).toBe(userId)
    expect(auth.isAgent).toBe(true)
    expect(auth.actor?.name).toBe('astro-agent')
    expect(response.status).toBe(200)
    const body = (await response.json()) as { message: string; agentTask: { url: string } }
    expect(body.message).toBe('Agent Task created')
    expect(body.agentTask.url.startsWith(behalfServer.publicUrl)).toBe(true)
  })

  it('refresh cookies reach immutable responses', async () => {
    const cookie = await signIn()
    const refreshOnly = cookie.split('; ').filter((pair) => pair.startsWith('__behalf_refresh=')).join('; ')
    const context = createContext('/go', { headers: { Cookie: refreshOnly } })

    const response = (await behalfMiddleware()(context, nextReturning(() => Response.redirect(`${APP_URL}/elsewhere`, 302)))) as Response

    expect(getRequestState(context).reason).toBe('session-refreshed')
    expect(response.status).toBe(302)
    expect(response.headers.get('Location')).toBe(`${APP_URL}/elsewhere`)
    const cookieNames = response.headers.getSetCookie().map((setCookie) => setCookie.split('=')[0])
    expect(cookieNames).toEqual(['__behalf_session', '__behalf_refresh'])
  })

  it('sign out revokes and clears', async () => {
    const cookie = await signIn()
    const context = createContext('/sign-out', { method: 'POST', headers: { Cookie: cookie } })
    let revokedSessionId: string | null = null

    const response = (await behalfMiddleware()(context, async () => {
      revokedSessionId = (await signOut(context)).sessionId
      return new Response(null, { status: 303, headers: { Location: '/' } })
    })) as Response

    expect(revokedSessionId).toBe(context.locals.auth().sessionId)
    const session = await backend.sessions.get(revokedSessionId ?? '')
    expect(session.status).toBe('revoked')
    expect(cookieHeaderFrom(response.headers.getSetCookie(), cookie)).toBe('')
  })
})
