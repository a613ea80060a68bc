import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'

import { createClient, type BehalfClient } from '@behalf/backend'
import { createRequestHandler } from '@react-router/express'
import express from 'express'
import { redirect, type ServerBuild } from 'react-router'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'

import {
  acceptTaskUrl,
  cookieHeaderFrom,
  serverBuilt,
  startBehalfServer,
  type BehalfProcess,
} from '../../backend/test/helpers/behalf-process.js'
import {
  behalfClient,
  behalfMiddleware,
  getAuth,
  requireAuth,
  rootAuthLoader,
  signOut,
  type BehalfOptions,
  type BehalfRouteArgs,
} from '../src/server/index.js'

type RouteModule = Record<string, unknown>

/** Returns an empty component: the document entry below renders loader data as JSON, not React. */
function Component(): null {
  return null
}

/**
 * Builds the server build that `react-router build` would emit for a root route and `children`.
 * Its document entry responds with the routes' loader data as JSON, so tests read what the
 * loaders saw without rendering React.
 */
function serverBuild(rootModule: RouteModule, children: Record<string, { path: string; module: RouteModule }>, middleware: boolean): ServerBuild {
  const routes: Record<string, unknown> = {
    root: { id: 'root', path: '', module: { default: Component, ...rootModule } },
  }
  for (const [id, child] of Object.entries(children)) {
    routes[id] = { id, parentId: 'root', path: child.path, module: child.module }
  }

  return {
    entry: {
      module: {
        default: (_request: Request, status: number, headers: Headers, context: { staticHandlerContext: { loaderData: unknown } }) => {
          headers.set('Content-Type', 'application/json')
          return new Response(JSON.stringify(context.staticHandlerContext.loaderData), { status, headers })
        },
      },
    },
    routes,
    assets: { entry: { module: '/entry.client.js', imports: [] }, routes: {}, url: '/manifest.js', version: 'test' },
    publicPath: '/',
    assetsBuildDirectory: '/nonexistent',
    future: { v8_middleware: middleware },
    ssr: true,
    isSpaMode: false,
    prerender: [],
    routeDiscovery: { mode: 'initial', manifestPath: '/__manifest' },
  } as unknown as ServerBuild
}

async function listen(): Promise<{ app: express.Express; server: Server; url: string }> {
  const app = express()
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening))
  })
  return { app, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

async function close(server: Server | undefined): Promise<void> {
  if (server === undefined) return
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
}

function cookieValue(setCookies: string[], name: string): string | undefined {
  const matching = setCookies.filter((cookie) => cookie.startsWith(`${name}=`))
  return matching.at(-1)?.split(';')[0]?.slice(name.length + 1)
}

describe.skipIf(!serverBuilt)('React Router apps with a real Behalf server', () => {
  let behalfServer: BehalfProcess
  let behalf: BehalfClient
  let options: BehalfOptions
  let userId: string
  let middlewareApp: { app: express.Express; server: Server; url: string }
  let loaderApp: { app: express.Express; server: Server; url: string }

  beforeAll(async () => {
    middlewareApp = await listen()
    loaderApp = await listen()

    // The server's allow-list needs the apps' origins, which are known only once they listen.
    behalfServer = await startBehalfServer({ BEHALF_ALLOWED_ORIGINS: `${middlewareApp.url},${loaderApp.url},http://localhost:3000` })
    options = { secretKey: behalfServer.secretKey, apiUrl: behalfServer.publicUrl }
    behalf = createClient(options)
    userId = (await behalf.users.create({ emailAddress: 'react-router@example.com', skipPasswordRequirement: true })).id

    const pageModule = {
      default: Component,
      loader: async (args: BehalfRouteArgs) => {
        const auth = await getAuth(args, options)
        return { userId: auth.userId, sessionId: auth.sessionId, isAgent: auth.isAgent, agentName: auth.actor?.name ?? null }
      },
    }

    middlewareApp.app.all(
      '*splat',
      createRequestHandler({
        build: serverBuild(
          { middleware: [behalfMiddleware(options)] },
          {
            page: { path: 'page', module: pageModule },
            private: {
              path: 'private',
              module: {
                loader: async (args: BehalfRouteArgs) => Response.json({ userId: (await requireAuth(args)).userId }),
                action: async (args: BehalfRouteArgs) => Response.json({ userId: (await requireAuth(args)).userId }),
              },
            },
            // The brief's route, with the agent task sent back to this app.
            example: {
              path: 'api/example',
              module: {
                action: async (args: BehalfRouteArgs) => {
                  const { isAuthenticated, userId } = await getAuth(args)
                  if (!isAuthenticated) {
                    return Response.json({ error: 'Unauthorized' }, { status: 401 })
                  }

                  const agentTask = await behalfClient(args).agentTasks.create({
                    onBehalfOf: { userId },
                    permissions: '*',
                    agentName: 'my-agent',
                    taskDescription: 'Automated test login',
                    redirectUrl: `${middlewareApp.url}/page`,
                  })

                  return Response.json({ message: 'Agent Task created', agentTask })
                },
              },
            },
            ownCookie: {
              path: 'own-cookie',
              module: {
                loader: () => new Response('ok', { headers: { 'Set-Cookie': '__behalf_session=set-by-route; Path=/' } }),
              },
            },
            signOut: {
              path: 'sign-out',
              module: { action: async (args: BehalfRouteArgs) => redirect('/', { headers: await signOut(args) }) },
            },
          },
          true,
        ),
      }),
    )

    loaderApp.app.all(
      '*splat',
      createRequestHandler({
        build: serverBuild(
          { loader: (args: BehalfRouteArgs) => rootAuthLoader(args, ({ auth }) => ({ rootUserId: auth.userId }), options) },
          { page: { path: 'page', module: pageModule } },
          false,
        ),
      }),
    )
  }, 30_000)

  afterAll(async () => {
    vi.unstubAllEnvs()
    await close(middlewareApp?.server)
    await close(loaderApp?.server)
    await behalfServer?.stop()
  })

  /** Visits a new agent task's URL and returns the app's response to the handoff redirect. */
  async function handoff(appUrl: string): Promise<Response> {
    const agentTask = await behalf.agentTasks.create({
      onBehalfOf: { userId },
      permissions: '*',
      agentName: 'react-router-agent',
      taskDescription: 'React Router adapter test',
      redirectUrl: `${appUrl}/page?tab=1`,
    })
    const accepted = await acceptTaskUrl(agentTask.url)
    return fetch(accepted.headers.get('Location') ?? '', { redirect: 'manual' })
  }

  /** Signs in through an agent task and returns the refresh cookie alone, so the next request refreshes. */
  async function refreshCookieOnly(appUrl: string): Promise<string> {
    const cookie = cookieHeaderFrom((await handoff(appUrl)).headers.getSetCookie())
    return `__behalf_refresh=${/__behalf_refresh=([^;]+)/.exec(cookie)?.[1] ?? ''}`
  }

  describe('with behalfMiddleware', () => {
    it('completes handoff with redirect', async () => {
      const response = await handoff(middlewareApp.url)

      expect(response.status).toBe(303)
      expect(response.headers.get('Location')).toBe('/page?tab=1')
      expect(response.headers.get('Cache-Control')).toBe('no-store')
      expect(cookieValue(response.headers.getSetCookie(), '__behalf_session')).toBeTruthy()
      expect(cookieValue(response.headers.getSetCookie(), '__behalf_refresh')).toBeTruthy()
    })

    it('reads auth in loader', async () => {
      const cookie = cookieHeaderFrom((await handoff(middlewareApp.url)).headers.getSetCookie())

      const response = await fetch(`${middlewareApp.url}/page`, { headers: { Cookie: cookie } })

      expect(response.status).toBe(200)
      expect((await response.json()) as unknown).toMatchObject({
        page: { userId, isAgent: true, agentName: 'react-router-agent' },
      })
    })

    it('brief route rejects signed out', async () => {
      const response = await fetch(`${middlewareApp.url}/api/example`, { method: 'POST' })

      expect(response.status).toBe(401)
      expect(await response.json()).toStrictEqual({ error: 'Unauthorized' })
    })

    it('brief route creates agent task', async () => {
      const cookie = cookieHeaderFrom((await handoff(middlewareApp.url)).headers.getSetCookie())

      const response = await fetch(`${middlewareApp.url}/api/example`, { method: 'POST', headers: { Cookie: cookie } })
      const body = (await response.json()) as { message: string; agentTask: Record<string, string> }

      expect(response.status).toBe(200)
      expect(body.message).toBe('Agent Task created')
      expect(Object.keys(body.agentTask).sort()).toEqual(['agentId', 'agentTaskId', 'url'])
    })

    it('requireAuth redirects signed out GET', async () => {
      const response = await fetch(`${middlewareApp.url}/private?x=1`, { redirect: 'manual' })

      expect(response.status).toBe(303)
      const location = new URL(response.headers.get('Location') ?? '')
      expect(`${location.origin}${location.pathname}`).toBe(`${behalfServer.publicUrl}/sign-in`)
      expect(location.searchParams.get('redirect_url')).toBe(`${middlewareApp.url}/private?x=1`)
    })

    it('requireAuth rejects signed out POST', async () => {
      const response = await fetch(`${middlewareApp.url}/private`, { method: 'POST' })

      expect(response.status).toBe(401)
      expect(await response.json()).toStrictEqual({ error: 'Unauthorized' })
    })

    it('sends refreshed session cookie', async () => {
      const cookie = await refreshCookieOnly(middlewareApp.url)

      const response = await fetch(`${middlewareApp.url}/page`, { headers: { Cookie: cookie } })

      expect(response.status).toBe(200)
      expect((await response.json()) as unknown).toMatchObject({ page: { userId } })
      expect(cookieValue(response.headers.getSetCookie(), '__behalf_session')).toBeTruthy()
    })

    it("keeps route's own cookie last", async () => {
      const cookie = await refreshCookieOnly(middlewareApp.url)

      const response = await fetch(`${middlewareApp.url}/own-cookie`, { headers: { Cookie: cookie } })
      const sessionCookies = response.headers.getSetCookie().filter((value) => value.startsWith('__behalf_session='))

      expect(sessionCookies).toHaveLength(2)
      expect(sessionCookies.at(-1)).toBe('__behalf_session=set-by-route; Path=/')
    })

    it('sign out revokes and clears', async () => {
      const cookie = cookieHeaderFrom((await handoff(middlewareApp.url)).headers.getSetCookie())
      const before = (await (await fetch(`${middlewareApp.url}/page`, { headers: { Cookie: cookie } })).json()) as {
        page: { sessionId: string }
      }

      const response = await fetch(`${middlewareApp.url}/sign-out`, { method: 'POST', headers: { Cookie: cookie }, redirect: 'manual' })

      expect(response.status).toBe(302)
      expect(response.headers.get('Location')).toBe('/')
      expect(cookieHeaderFrom(response.headers.getSetCookie(), cookie)).toBe('')
      expect((await behalf.sessions.get(before.page.sessionId)).status).toBe('revoked')
    })
  })

  describe('with rootAuthLoader', () => {
    it('completes handoff in root loader', async () => {
      const response = await handoff(loaderApp.url)

      expect(response.status).toBe(303)
      expect(response.headers.get('Location')).toBe('/page?tab=1')
      expect(cookieValue(response.headers.getSetCookie(), '__behalf_session')).toBeTruthy()
      expect(cookieValue(response.headers.getSetCookie(), '__behalf_refresh')).toBeTruthy()
    })

    it('reads auth in both loaders', async () => {
      const cookie = cookieHeaderFrom((await handoff(loaderApp.url)).headers.getSetCookie())

      const response = await fetch(`${loaderApp.url}/page`, { headers: { Cookie: cookie } })

      expect(response.status).toBe(200)
      expect((await response.json()) as unknown).toMatchObject({
        root: { rootUserId: userId },
        page: { userId, isAgent: true },
      })
    })

    it('root loader sends refreshed cookie', async () => {
      const cookie = await refreshCookieOnly(loaderApp.url)

      const response = await fetch(`${loaderApp.url}/page`, { headers: { Cookie: cookie } })

      expect(response.status).toBe(200)
      expect((await response.json()) as unknown).toMatchObject({ root: { rootUserId: userId }, page: { userId } })
      expect(cookieValue(response.headers.getSetCookie(), '__behalf_session')).toBeTruthy()
    })
  })
})

describe('configuration', () => {
  it('behalfMiddleware throws without secret key', () => {
    vi.stubEnv('BEHALF_SECRET_KEY', '')
    try {
      expect(() => behalfMiddleware()).toThrow(/BEHALF_SECRET_KEY/)
    } finally {
      vi.unstubAllEnvs()
    }
  })

  it('behalfClient throws without secret key', () => {
    vi.stubEnv('BEHALF_SECRET_KEY', '')
    try {
      expect(() => behalfClient({ request: new Request('http://127.0.0.1/'), context: {} })).toThrow(/BEHALF_SECRET_KEY/)
    } finally {
      vi.unstubAllEnvs()
    }
  })
})
