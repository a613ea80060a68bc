import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createClient, type BehalfClient } from '../src/client.js'
import { BehalfAPIError } from '../src/errors.js'
import { authenticateRequest, type AuthenticateRequestOptions, type RequestState } from '../src/request/authenticate.js'
import { signOut } from '../src/request/sign-out.js'
import { verifyToken } from '../src/tokens/verify.js'
import {
  acceptTaskUrl,
  cookieHeaderFrom,
  serverBuilt,
  startBehalfServer,
  type BehalfProcess,
} from './helpers/behalf-process.js'

// The app is never started, because authenticateRequest only needs Web Request objects with the app's origin.
const APP_ORIGIN = 'http://localhost:3000'

async function handOff(behalf: BehalfClient, options: AuthenticateRequestOptions, userId: string, path = '/dashboard?tab=1') {
  const agentTask = await behalf.agentTasks.create({
    onBehalfOf: { userId },
    permissions: '*',
    agentName: 'integration-agent',
    taskDescription: 'SDK integration test',
    redirectUrl: `${APP_ORIGIN}${path}`,
  })
  const accepted = await acceptTaskUrl(agentTask.url)
  const location = accepted.headers.get('Location') ?? ''
  const state = await authenticateRequest(new Request(location), options)
  return { agentTask, accepted, location, state, cookie: cookieHeaderFrom(state.headers.getSetCookie()) }
}

function appRequest(cookie: string, path = '/dashboard?tab=1'): Request {
  return new Request(`${APP_ORIGIN}${path}`, { headers: { Cookie: cookie } })
}

function withoutSessionCookie(cookie: string): string {
  return cookie
    .split('; ')
    .filter((pair) => !pair.startsWith('__behalf_session='))
    .join('; ')
}

describe.skipIf(!serverBuilt)('with a real Behalf server', () => {
  let server: BehalfProcess
  let behalf: BehalfClient
  let options: AuthenticateRequestOptions
  let userId: string

  beforeAll(async () => {
    server = await startBehalfServer({ BEHALF_ALLOWED_ORIGINS: APP_ORIGIN })
    // The public URL (localhost) is the token issuer, so it is also the apiUrl, as in a default setup.
    behalf = createClient({ secretKey: server.secretKey, apiUrl: server.publicUrl })
    options = { secretKey: server.secretKey, apiUrl: server.publicUrl }
    const user = await behalf.users.create({
      emailAddress: ['integration@example.com'],
      firstName: 'Ada',
      skipPasswordRequirement: true,
    })
    userId = user.id
  }, 30_000)

  afterAll(async () => {
    await server?.stop()
  })

  it('creates user with camelCase fields', async () => {
    const user = await behalf.users.get(userId)

    expect(user.firstName).toBe('Ada')
    expect(user.primaryEmailAddress?.emailAddress).toBe('integration@example.com')
    expect(user.emailAddresses[0]?.linkedTo).toEqual([])
    expect(typeof user.createdAt).toBe('number')
  })

  it('lists and counts users', async () => {
    const users = await behalf.users.list({ emailAddress: ['integration@example.com', 'nobody@example.com'] })
    const count = await behalf.users.count({ emailAddress: 'integration@example.com' })

    expect(users.map((user) => user.id)).toEqual([userId])
    expect(count).toBe(1)
  })

  it('updates metadata verbatim', async () => {
    const user = await behalf.users.update(userId, { publicMetadata: { planTier: 'pro', nested_key: { innerKey: 1 } } })

    expect(user.publicMetadata).toStrictEqual({ planTier: 'pro', nested_key: { innerKey: 1 } })
  })

  it('hands off, verifies and refreshes', async () => {
    const { agentTask, accepted, location, state, cookie } = await handOff(behalf, options, userId)

    expect(Object.keys(agentTask).sort()).toEqual(['agentId', 'agentTaskId', 'url'])
    expect(accepted.status).toBe(303)
    expect(new URL(location).searchParams.has('__behalf_handoff')).toBe(true)
    expect(state.status).toBe('redirect')
    expect(state.reason).toBe('handoff-exchanged')
    expect(state.redirectUrl).toBe(`${APP_ORIGIN}/dashboard?tab=1`)
    expect(cookie).toContain('__behalf_session=')
    expect(cookie).toContain('__behalf_refresh=')

    const signedIn = await authenticateRequest(appRequest(cookie), options)
    const auth = signedIn.toAuth()
    expect(signedIn.status).toBe('signed-in')
    expect(auth.userId).toBe(userId)
    expect(auth.isAgent).toBe(true)
    expect(auth.actor?.sub).toBe(agentTask.agentId)
    expect(auth.actor?.agentTaskId).toBe(agentTask.agentTaskId)
    expect(auth.actor?.name).toBe('integration-agent')
    expect(auth.has({ permission: 'anything' })).toBe(true)

    const refreshed = await authenticateRequest(appRequest(withoutSessionCookie(cookie)), options)
    expect(refreshed.status).toBe('signed-in')
    expect(refreshed.reason).toBe('session-refreshed')
    expect(refreshed.toAuth().sessionId).toBe(auth.sessionId)
    expect(refreshed.headers.getSetCookie()[0]).toMatch(/^__behalf_session=/)
  })

  it('accepts bearer session token', async () => {
    const { state } = await handOff(behalf, options, userId)
    const token = await state.toAuth().getToken()

    const bearer = await authenticateRequest(
      new Request(`${APP_ORIGIN}/api/data`, { headers: { Authorization: `Bearer ${token}` } }),
      options,
    )

    expect(bearer.status).toBe('signed-in')
    expect(bearer.headers.getSetCookie()).toEqual([])
  })

  it('verifies with JWKS from server', async () => {
    const { state } = await handOff(behalf, options, userId)
    const token = (await state.toAuth().getToken()) ?? ''

    const claims = await behalf.verifyToken(token, { authorizedParties: [APP_ORIGIN] })

    expect(claims.iss).toBe(server.publicUrl)
    expect(claims.azp).toBe(APP_ORIGIN)
    expect(claims.sub).toBe(userId)
  })

  it('rejects token for other origin', async () => {
    const { state } = await handOff(behalf, options, userId)
    const token = (await state.toAuth().getToken()) ?? ''

    const other = await authenticateRequest(
      new Request('http://localhost:3001/', { headers: { Authorization: `Bearer ${token}` } }),
      options,
    )

    expect(other.status).toBe('signed-out')
    expect(other.reason).toBe('bearer-token-invalid')
  })

  it('rejects reused handoff code', async () => {
    const { location } = await handOff(behalf, options, userId)

    const replay = await authenticateRequest(new Request(location), options)

    expect(replay.status).toBe('redirect')
    expect(replay.reason).toBe('handoff-failed')
    expect(replay.headers.getSetCookie()).toEqual([])
  })

  it('rejects reused task URL', async () => {
    const { agentTask } = await handOff(behalf, options, userId)

    const second = await fetch(agentTask.url, { redirect: 'manual', headers: { Accept: 'application/json' } })

    expect(second.status).toBe(409)
    expect(second.headers.get('Location')).toBeNull()
  })

  it('revoked task URL signs nobody in', async () => {
    const agentTask = await behalf.agentTasks.create({
      onBehalfOf: { identifier: 'integration@example.com' },
      permissions: '*',
      agentName: 'integration-agent',
      taskDescription: 'revoked before use',
      redirectUrl: `${APP_ORIGIN}/dashboard`,
    })

    const revoked = await behalf.agentTasks.revoke(agentTask.agentTaskId)
    const visit = await fetch(agentTask.url, { redirect: 'manual', headers: { Accept: 'application/json' } })
    const details = await behalf.agentTasks.get(agentTask.agentTaskId)

    expect(revoked).toStrictEqual({ agentId: agentTask.agentId, agentTaskId: agentTask.agentTaskId })
    expect(visit.status).toBe(410)
    expect(details.status).toBe('revoked')
    expect(details.userId).toBe(userId)
  })

  it('revoking session clears cookies', async () => {
    const { cookie, state } = await handOff(behalf, options, userId)
    const sessionId = state.toAuth().sessionId ?? ''

    const session = await behalf.sessions.revoke(sessionId)
    const afterRevoke = await authenticateRequest(appRequest(withoutSessionCookie(cookie)), options)

    expect(session.status).toBe('revoked')
    expect(afterRevoke.status).toBe('signed-out')
    expect(afterRevoke.reason).toBe('refresh-token-rejected')
    expect(afterRevoke.headers.getSetCookie()).toHaveLength(2)
  })

  it('revoking accepted task ends session', async () => {
    const { cookie, agentTask } = await handOff(behalf, options, userId)

    await behalf.agentTasks.revoke(agentTask.agentTaskId)
    const afterRevoke = await authenticateRequest(appRequest(withoutSessionCookie(cookie)), options)

    expect(afterRevoke.reason).toBe('refresh-token-rejected')
  })

  it('signOut revokes and clears', async () => {
    const { cookie, state } = await handOff(behalf, options, userId)
    const sessionId = state.toAuth().sessionId

    const result = await signOut(appRequest(cookie), options)
    const session = await behalf.sessions.get(sessionId ?? '')
    const afterSignOut = await authenticateRequest(
      appRequest(cookieHeaderFrom(result.headers.getSetCookie(), cookie)),
      options,
    )

    expect(result.sessionId).toBe(sessionId)
    expect(session.status).toBe('revoked')
    expect(afterSignOut.status).toBe('signed-out')
    expect(afterSignOut.reason).toBe('session-token-missing')
  })

  it('lists sessions of user', async () => {
    const sessions = await behalf.sessions.list({ userId })

    expect(sessions.length).toBeGreaterThan(0)
    expect(sessions.every((session) => session.userId === userId)).toBe(true)
    expect(sessions[0]?.actor?.name).toBe('integration-agent')
  })

  it('lists agent tasks', async () => {
    const list = await behalf.agentTasks.list({ userId, status: 'revoked', limit: 50 })

    expect(list.totalCount).toBeGreaterThan(0)
    expect(list.data.every((task) => task.status === 'revoked')).toBe(true)
  })

  it('banning user ends refresh', async () => {
    const banned = await behalf.users.create({ emailAddress: 'banned@example.com', skipPasswordRequirement: true })
    const { cookie } = await handOff(behalf, options, banned.id)

    await behalf.users.ban(banned.id)
    const afterBan = await authenticateRequest(appRequest(withoutSessionCookie(cookie)), options)

    expect(afterBan.status).toBe('signed-out')
    expect(afterBan.reason).toBe('refresh-token-rejected')
  })

  it('maps API errors', async () => {
    const error = await behalf.agentTasks
      .create({
        onBehalfOf: { userId },
        permissions: '*',
        agentName: 'integration-agent',
        taskDescription: 'bad redirect',
        redirectUrl: 'https://evil.example.com/',
      })
      .catch((caught: unknown) => caught)

    expect(error).toBeInstanceOf(BehalfAPIError)
    expect((error as BehalfAPIError).status).toBeGreaterThanOrEqual(400)
    expect((error as BehalfAPIError).status).toBeLessThan(500)
    expect((error as BehalfAPIError).errors[0]?.meta.paramName).toBe('redirect_url')
    expect((error as BehalfAPIError).traceId).toEqual(expect.any(String))
  })

  it('rejects wrong secret key', async () => {
    const wrong = createClient({ secretKey: 'sk_test_wrong_key_value', apiUrl: server.publicUrl })

    const error = (await wrong.users.list().catch((caught: unknown) => caught)) as BehalfAPIError

    expect(error).toBeInstanceOf(BehalfAPIError)
    expect(error.status).toBe(401)
    expect(error.message).not.toContain('sk_test_wrong_key_value')
  })

  it('deletes user and sessions', async () => {
    const doomed = await behalf.users.create({ emailAddress: 'doomed@example.com', skipPasswordRequirement: true })
    const { cookie } = await handOff(behalf, options, doomed.id)

    const deleted = await behalf.users.delete(doomed.id)
    const afterDelete = await authenticateRequest(appRequest(withoutSessionCookie(cookie)), options)

    expect(deleted).toStrictEqual({ object: 'user', id: doomed.id, deleted: true })
    expect(afterDelete.reason).toBe('refresh-token-rejected')
  })
})

describe.skipIf(!serverBuilt)('with short-lived session tokens', () => {
  let server: BehalfProcess
  let behalf: BehalfClient
  let options: AuthenticateRequestOptions

  beforeAll(async () => {
    // 5 s is the server's minimum token lifetime.
    server = await startBehalfServer({ BEHALF_ALLOWED_ORIGINS: APP_ORIGIN, BEHALF_SESSION_TOKEN_TTL_SECONDS: '5' })
    behalf = createClient({ secretKey: server.secretKey, apiUrl: server.publicUrl })
    options = { secretKey: server.secretKey, apiUrl: server.publicUrl }
  }, 30_000)

  afterAll(async () => {
    await server?.stop()
  })

  it('refreshes expired session token', async () => {
    const user = await behalf.users.create({ emailAddress: 'expiry@example.com', skipPasswordRequirement: true })
    const { cookie, state } = await handOff(behalf, options, user.id)
    const firstToken = (await state.toAuth().getToken()) ?? ''
    const { exp } = await verifyToken(firstToken, { apiUrl: server.publicUrl, authorizedParties: [APP_ORIGIN] })

    // Wait until the token is past its expiry plus the 5 s leeway.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, (exp + 6) * 1000 - Date.now())))
    const refreshed: RequestState = await authenticateRequest(appRequest(cookie), options)

    expect(refreshed.status).toBe('signed-in')
    expect(refreshed.reason).toBe('session-refreshed')
    expect(await refreshed.toAuth().getToken()).not.toBe(firstToken)
  }, 30_000)
})
