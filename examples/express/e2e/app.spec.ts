import { createClient } from '@behalf/backend'
import { test, expect } from '@playwright/test'

import { SEEDED_USER } from '../../../e2e/ports.js'

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

test('authenticated user flow by identifier', async ({ page, baseURL }) => {
  const agentTask = await behalf.agentTasks.create({
    onBehalfOf: { identifier: SEEDED_USER.email },
    permissions: '*',
    agentName: 'test-agent',
    taskDescription: 'test-login',
    redirectUrl: `${baseURL}/dashboard`,
  })

  await page.goto(agentTask.url)
  await expect(page.locator('header')).toContainText(`Welcome, ${SEEDED_USER.firstName}`)
  await expect(page).toHaveURL(`${baseURL}/dashboard`)
  await expect(page.getByTestId('actor')).toContainText('test-agent')
})
