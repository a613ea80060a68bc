import { createClient } from '@behalf/backend'
import { test, expect } from '@playwright/test'

const behalf = createClient({ secretKey: process.env.BEHALF_SECRET_KEY })

function createTask(baseURL: string | undefined, expiresInSeconds?: number) {
  return behalf.agentTasks.create({
    onBehalfOf: { userId: process.env.E2E_USER_ID as string },
    permissions: '*',
    agentName: 'state-agent',
    taskDescription: 'ticket states',
    redirectUrl: `${baseURL}/dashboard`,
    expiresInSeconds,
  })
}

test('revoked link shows revoked', async ({ page, baseURL }) => {
  const agentTask = await createTask(baseURL)
  await behalf.agentTasks.revoke(agentTask.agentTaskId)

  const response = await page.goto(agentTask.url)
  expect(response?.status()).toBe(410)
  await expect(page.locator('h1')).toHaveText('Link revoked')

  const details = await behalf.agentTasks.get(agentTask.agentTaskId)
  expect(details.status).toBe('revoked')
  expect(details.sessionId).toBeNull()

  const dashboard = await page.goto('/dashboard')
  expect(dashboard?.url()).toContain('/sign-in')
})

test('used link shows already used', async ({ page, browser, baseURL }) => {
  const agentTask = await createTask(baseURL)
  await page.goto(agentTask.url)
  await expect(page.locator('header')).toContainText('Welcome')

  const freshContext = await browser.newContext()
  const freshPage = await freshContext.newPage()
  const response = await freshPage.goto(agentTask.url)
  expect(response?.status()).toBe(409)
  await expect(freshPage.locator('h1')).toHaveText('Link already used')
  await expect(freshPage.getByTestId('error-code')).toHaveText('ticket_already_used')
  await freshContext.close()
})

test('expired link shows expired', async ({ page, baseURL }) => {
  const agentTask = await createTask(baseURL, 1)
  await page.waitForTimeout(1_200)

  const response = await page.goto(agentTask.url)
  expect(response?.status()).toBe(410)
  await expect(page.locator('h1')).toHaveText('Link expired')
})

test('revoking accepted task ends session', async ({ page, baseURL }) => {
  const agentTask = await createTask(baseURL)
  await page.goto(agentTask.url)
  await expect(page.locator('header')).toContainText('Welcome')

  await behalf.agentTasks.revoke(agentTask.agentTaskId)
  const details = await behalf.agentTasks.get(agentTask.agentTaskId)
  const session = await behalf.sessions.get(details.sessionId as string)
  expect(session.status).toBe('revoked')
})
