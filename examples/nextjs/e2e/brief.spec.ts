import { createClient } from '@behalf/backend'
import { test, expect } from '@playwright/test'

// The product brief's Playwright test, as a user would copy it; only the user id and the
// port come from the test run.
const behalf = createClient({ secretKey: process.env.BEHALF_SECRET_KEY })

test('authenticated user flow', async ({ page, baseURL }) => {
  const agentTask = await behalf.agentTasks.create({
    onBehalfOf: { userId: process.env.E2E_USER_ID as string },
    permissions: '*',
    agentName: 'test-agent',
    taskDescription: 'test-login',
    redirectUrl: `${baseURL}/dashboard`,
  })

  await page.goto(agentTask.url)
  await expect(page.locator('header')).toContainText('Welcome')
})
