import { createClient } from '@behalf/backend'
import { test, expect, type Page } from '@playwright/test'

const behalf = createClient({ secretKey: process.env.BEHALF_SECRET_KEY })

/** Waits until TanStack Start has hydrated the page, so that a link click is a client-side navigation. */
async function waitForHydration(page: Page) {
  await page.waitForFunction(() => !('$_TSR' in window))
}

test('signed out link opens sign-in', async ({ page, baseURL }) => {
  await page.goto('/')
  await waitForHydration(page)

  await page.getByRole('link', { name: 'Open the dashboard' }).click()
  await expect(page).toHaveURL(/\/sign-in\?redirect_url=/)
  const redirectUrl = new URL(page.url()).searchParams.get('redirect_url')
  expect(redirectUrl).toBe(`${baseURL}/dashboard`)
})

test('signed in link loads dashboard', async ({ page, baseURL }) => {
  const agentTask = await behalf.agentTasks.create({
    onBehalfOf: { userId: process.env.E2E_USER_ID as string },
    permissions: '*',
    agentName: 'navigation-agent',
    taskDescription: 'client navigation',
    redirectUrl: `${baseURL}/`,
  })
  await page.goto(agentTask.url)
  await expect(page).toHaveURL(`${baseURL}/`)
  await waitForHydration(page)

  const documentRequests: string[] = []
  page.on('request', (request) => {
    if (request.resourceType() === 'document') documentRequests.push(request.url())
  })
  await page.getByRole('link', { name: 'Open the dashboard' }).click()
  await expect(page.locator('header')).toContainText('Welcome')
  await expect(page.getByTestId('actor')).toContainText('navigation-agent')
  expect(documentRequests).toEqual([])
})
