import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'

import { createClient, type BehalfClient } from '@behalf/backend'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'

import {
  cookieHeaderFrom,
  serverBuilt,
  startBehalfServer,
  type BehalfProcess,
} from '../../backend/test/helpers/behalf-process.js'
import { behalfClient, behalfMiddleware, getAuth, requireAuth, signOut } from '../src/index.js'

describe.skipIf(!serverBuilt)('Express app with a real Behalf server', () => {
  let behalfServer: BehalfProcess
  let behalf: BehalfClient
  let appServer: Server
  let appUrl: string
  let userId: string

  beforeAll(async () => {
    const app = express()
    appServer = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening))
    })
    appUrl = `http://127.0.0.1:${(appServer.address() as AddressInfo).port}`

    // The server's allow-list needs the app's origin, which is known only once the app listens.
    behalfServer = await startBehalfServer({ BEHALF_ALLOWED_ORIGINS: `${appUrl},http://localhost:3000` })
    vi.stubEnv('BEHALF_SECRET_KEY', behalfServer.secretKey)
    vi.stubEnv('BEHALF_API_URL', behalfServer.publicUrl)
    behalf = createClient()

    app.use(behalfMiddleware())
    app.get('/dashboard', requireAuth(), (req, res) => {
      const { userId: currentUserId, isAgent, actor } = getAuth(req)
      res.json({ userId: currentUserId, isAgent, agentName: actor?.name ?? null })
    })
    // The brief's Express route, unchanged.
    app.post('/createAgentTask', async (req, res) => {
      const { isAuthenticated, userId } = getAuth(req)
      if (!isAuthenticated) {
        return res.status(401).json({ error: 'Unauthorized' })
      }

      const agentTask = await behalfClient.agentTasks.create({
        onBehalfOf: { userId },
        permissions: '*',
        agentName: 'my-agent',
        taskDescription: 'Automated test login',
        redirectUrl: 'http://localhost:3000/dashboard',
      })

      res.status(200).json({ message: 'Agent Task created', agentTask })
    })
    app.post('/sign-out', async (req, res) => {
      await signOut(req, res)
      res.status(204).end()
    })

    const user = await behalf.users.create({ emailAddress: 'express@example.com', skipPasswordRequirement: true })
    userId = user.id
  }, 30_000)

  afterAll(async () => {
    vi.unstubAllEnvs()
    if (appServer !== undefined) {
      appServer.closeAllConnections()
      await new Promise<void>((resolve) => appServer.close(() => resolve()))
    }
    await behalfServer?.stop()
  })

  async function signInThroughTask(): Promise<string> {
    const agentTask = await behalf.agentTasks.create({
      onBehalfOf: { userId },
      permissions: '*',
      agentName: 'express-agent',
      taskDescription: 'Express integration test',
      redirectUrl: `${appUrl}/dashboard`,
    })
    const accepted = await fetch(agentTask.url, { redirect: 'manual' })
    const handoff = await fetch(accepted.headers.get('Location') ?? '', { redirect: 'manual' })
    expect(handoff.status).toBe(303)
    expect(handoff.headers.get('Location')).toBe('/dashboard')
    return cookieHeaderFrom(handoff.headers.getSetCookie())
  }

  it('signs in through agent task', async () => {
    const cookie = await signInThroughTask()

    const response = await fetch(`${appUrl}/dashboard`, { headers: { Cookie: cookie } })

    expect(response.status).toBe(200)
    expect(await response.json()).toStrictEqual({ userId, isAgent: true, agentName: 'express-agent' })
  })

  it('runs brief route signed out', async () => {
    const response = await fetch(`${appUrl}/createAgentTask`, { method: 'POST' })

    expect(response.status).toBe(401)
    expect(await response.json()).toStrictEqual({ error: 'Unauthorized' })
  })

  it('runs brief route signed in', async () => {
    const cookie = await signInThroughTask()

    const response = await fetch(`${appUrl}/createAgentTask`, { method: 'POST', headers: { Cookie: cookie } })
    const body = (await response.json()) as { message: string; agentTask: Record<string, string> }

    expect(response.status).toBe(200)
    expect(body.message).toBe('Agent Task created')
    expect(Object.keys(body.agentTask).sort()).toEqual(['agentId', 'agentTaskId', 'url'])
    expect(body.agentTask.url?.startsWith(behalfServer.publicUrl)).toBe(true)
  })

  it('signs out and stays out', async () => {
    const cookie = await signInThroughTask()

    const signOutResponse = await fetch(`${appUrl}/sign-out`, { method: 'POST', headers: { Cookie: cookie } })
    const afterCookie = cookieHeaderFrom(signOutResponse.headers.getSetCookie(), cookie)
    const afterOld = await fetch(`${appUrl}/dashboard`, {
      headers: { Cookie: `__behalf_refresh=${/__behalf_refresh=([^;]+)/.exec(cookie)?.[1] ?? ''}`, Accept: 'application/json' },
    })
    const afterNew = await fetch(`${appUrl}/dashboard`, { headers: { Cookie: afterCookie, Accept: 'application/json' } })

    expect(signOutResponse.status).toBe(204)
    expect(afterCookie).toBe('')
    expect(afterOld.status).toBe(401)
    expect(afterNew.status).toBe(401)
  })
})
