/**
 * The browser tests every example app must pass, whatever its framework. Each example's
 * e2e folder calls `adapterSuite` with the path of its copy of the product brief's route.
 *
 * Every example app provides the same pages:
 * - `/dashboard`: signed in, a `<header>` with `Welcome, <first name>` and a "Sign out"
 *   button, `data-testid` elements `user-id` and `session-id`, `actor` (agent sessions) or
 *   `person`, and a "Create agent task" button that POSTs to the brief's route and shows the
 *   returned URL in `agent-task-url`; signed out, a redirect to the hosted sign-in page.
 * - `/api/me`: the auth object as JSON (`userId`, `sessionId`, `actor`, `isAgent`,
 *   `permissions`), or 401 when signed out.
 */
import { createClient } from '@behalf/backend'
import { expect, test, type Browser, type Page } from '@playwright/test'

import { E2E_SESSION_TOKEN_TTL_SECONDS, SEEDED_USER } from './ports.js'

export interface AdapterSuiteOptions {
  /** Path of the product brief's route, e.g. `/createAgentTask` or `/api/example`. */
  createAgentTaskPath: string
}

interface MeResponse {
  userId: string
  sessionId: string
  actor: { sub: string; name: string; agentTaskId: string } | null
  isAgent: boolean
  permissions: string[]
}

async function readMe(page: Page): Promise<MeResponse> {
  const response = await page.request.get('/api/me')
  expect(response.status()).toBe(200)
  return (await response.json()) as MeResponse
}

async function signInAsAgent(page: Page, baseURL: string | undefined, agentName = 'suite-agent') {
  const behalf = createClient({ secretKey: process.env.BEHALF_SECRET_KEY })
  const agentTask = await behalf.agentTasks.create({
    onBehalfOf: { userId: process.env.E2E_USER_ID as string },
    permissions: '*',
    agentName,
    taskDescription: 'adapter suite sign-in',
    redirectUrl: `${baseURL}/dashboard`,
  })
  await page.goto(agentTask.url)
  await expect(page.locator('header')).toContainText(`Welcome, ${SEEDED_USER.firstName}`)
  return agentTask
}

async function openInFreshContext(browser: Browser, url: string) {
  const context = await browser.newContext()
  const page = await context.newPage()
  await page.goto(url)
  return { context, page }
}

/** Verifiers accept a token this long after its `exp`, for clock skew. */
const CLOCK_SKEW_LEEWAY_SECONDS = 5

/** Waits until the session token in the cookie has expired, leeway included. */
function waitForTokenExpiry(page: Page) {
  return page.waitForTimeout((E2E_SESSION_TOKEN_TTL_SECONDS + CLOCK_SKEW_LEEWAY_SECONDS + 1) * 1000)
}

export function adapterSuite(options: AdapterSuiteOptions) {
  const behalf = createClient({ secretKey: process.env.BEHALF_SECRET_KEY })

  test('brief flow signs in by userId', async ({ page, baseURL }) => {
    const agentTask = await behalf.agentTasks.create({
      onBehalfOf: { userId: process.env.E2E_USER_ID as string },
      permissions: '*',
      agentName: 'test-agent',
      taskDescription: 'test-login',
      redirectUrl: `${baseURL}/dashboard`,
    })

    await page.goto(agentTask.url)
    await expect(page.locator('header')).toContainText('Welcome')
    await expect(page).toHaveURL(`${baseURL}/dashboard`)
  })

  test('brief flow signs in by identifier', async ({ page, baseURL }) => {
    const agentTask = await behalf.agentTasks.create({
      onBehalfOf: { identifier: SEEDED_USER.email },
      permissions: '*',
      agentName: 'test-agent',
      taskDescription: 'test-login',
      redirectUrl: `${baseURL}/dashboard`,
    })

    await page.goto(agentTask.url)
    await expect(page.locator('header')).toContainText(`Welcome, ${SEEDED_USER.firstName}`)
    await expect(page.getByTestId('actor')).toContainText('test-agent')

    const me = await readMe(page)
    expect(me.userId).toBe(process.env.E2E_USER_ID)
    expect(me.isAgent).toBe(true)
    expect(me.actor?.name).toBe('test-agent')
    expect(me.actor?.agentTaskId).toBe(agentTask.agentTaskId)
    expect(me.permissions).toEqual(['*'])
  })

  test('person creates task through route', async ({ page, browser, baseURL }) => {
    await page.goto('/dashboard')
    await expect(page).toHaveURL(/\/sign-in\?redirect_url=/)
    await page.getByLabel('Email address').fill(SEEDED_USER.email)
    await page.getByLabel('Password').fill(SEEDED_USER.password)
    await page.getByRole('button', { name: 'Sign in' }).click()

    await expect(page).toHaveURL(`${baseURL}/dashboard`)
    await expect(page.locator('header')).toContainText(`Welcome, ${SEEDED_USER.firstName}`)
    await expect(page.getByTestId('person')).toBeVisible()
    const person = await readMe(page)
    expect(person.isAgent).toBe(false)
    expect(person.actor).toBeNull()

    await page.getByRole('button', { name: 'Create agent task' }).click()
    const taskUrl = page.getByTestId('agent-task-url')
    await expect(taskUrl).toContainText('/agent-tasks/accept?ticket=')

    const agent = await openInFreshContext(browser, (await taskUrl.textContent()) as string)
    await expect(agent.page).toHaveURL(`${baseURL}/dashboard`)
    await expect(agent.page.locator('header')).toContainText(`Welcome, ${SEEDED_USER.firstName}`)
    const agentAuth = await readMe(agent.page)
    expect(agentAuth.userId).toBe(person.userId)
    expect(agentAuth.isAgent).toBe(true)
    expect(agentAuth.actor?.name).toBe('my-agent')
    expect(agentAuth.sessionId).not.toBe(person.sessionId)
    await agent.context.close()
  })

  test('signed out route returns 401', async ({ request, baseURL }) => {
    // A browser's fetch always sends Origin on a POST; frameworks with CSRF checks (Astro) reject a POST without it.
    const response = await request.post(options.createAgentTaskPath, { headers: { Origin: baseURL as string } })
    expect(response.status()).toBe(401)

    const me = await request.get('/api/me')
    expect(me.status()).toBe(401)
  })

  test('handoff redirect stays on the app', async ({ request, baseURL }) => {
    const origin = new URL(baseURL as string).origin
    for (const path of ['//evil.example/login', '/\\evil.example']) {
      const response = await request.get(`${origin}${path}?__behalf_handoff=forged`, { maxRedirects: 0 })
      const location = response.headers()['location']
      if (location !== undefined) expect(new URL(location, origin).origin, `${path} → ${location}`).toBe(origin)
    }
  })

  test('expired token refreshes silently', async ({ page, baseURL, context }) => {
    await signInAsAgent(page, baseURL)
    const before = (await context.cookies()).find((cookie) => cookie.name === '__behalf_session')?.value

    await waitForTokenExpiry(page)
    await page.reload()
    await expect(page.locator('header')).toContainText(`Welcome, ${SEEDED_USER.firstName}`)
    await expect(page).toHaveURL(`${baseURL}/dashboard`)

    const after = (await context.cookies()).find((cookie) => cookie.name === '__behalf_session')?.value
    expect(before).toBeTruthy()
    expect(after).toBeTruthy()
    expect(after).not.toBe(before)
  })

  test('revoked session signs out after expiry', async ({ page, baseURL }) => {
    await signInAsAgent(page, baseURL)
    const { sessionId } = await readMe(page)
    await behalf.sessions.revoke(sessionId)

    await waitForTokenExpiry(page)
    await page.goto('/dashboard')
    await expect(page).toHaveURL(/\/sign-in\?redirect_url=/)
    const me = await page.request.get('/api/me')
    expect(me.status()).toBe(401)
  })

  test('sign out revokes session', async ({ page, baseURL }) => {
    await signInAsAgent(page, baseURL)
    const { sessionId } = await readMe(page)

    await page.getByRole('button', { name: 'Sign out' }).click()
    await expect(page.locator('header')).not.toContainText('Welcome')
    const session = await behalf.sessions.get(sessionId)
    expect(session.status).toBe('revoked')

    await page.goto('/dashboard')
    await expect(page).toHaveURL(/\/sign-in\?redirect_url=/)
  })
}
