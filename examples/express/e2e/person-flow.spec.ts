import { test, expect } from '@playwright/test'

test('sign up, create task, agent signs in', async ({ page, browser, baseURL }) => {
  const email = `person-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`

  await page.goto('/dashboard')
  await expect(page).toHaveURL(/\/sign-in\?redirect_url=/)
  await page.getByRole('link', { name: 'Sign up' }).click()

  await page.getByLabel('First name').fill('Katherine')
  await page.getByLabel('Last name').fill('Johnson')
  await page.getByLabel('Email address').fill(email)
  await page.getByLabel('Password').fill('orbital-mechanics-1962')
  await page.getByRole('button', { name: 'Sign up' }).click()

  await expect(page).toHaveURL(`${baseURL}/dashboard`)
  await expect(page.locator('header')).toContainText('Welcome, Katherine')
  await expect(page.getByTestId('person')).toBeVisible()
  const personUserId = await page.getByTestId('user-id').textContent()

  // Sign out, then sign in again through the hosted sign-in form.
  await page.getByRole('button', { name: 'Sign out' }).click()
  await page.goto('/dashboard')
  await expect(page).toHaveURL(/\/sign-in\?redirect_url=/)
  await page.getByLabel('Email address').fill(email)
  await page.getByLabel('Password').fill('orbital-mechanics-1962')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.locator('header')).toContainText('Welcome, Katherine')

  await page.getByRole('button', { name: 'Create agent task' }).click()
  const taskUrl = page.getByTestId('agent-task-url')
  await expect(taskUrl).toContainText('/agent-tasks/accept?ticket=')
  const url = (await taskUrl.textContent()) as string

  const agentContext = await browser.newContext()
  const agentPage = await agentContext.newPage()
  await agentPage.goto(url)
  await expect(agentPage).toHaveURL(`${baseURL}/dashboard`)
  await expect(agentPage.locator('header')).toContainText('Welcome, Katherine')
  await expect(agentPage.getByTestId('user-id')).toHaveText(personUserId as string)
  await expect(agentPage.getByTestId('actor')).toContainText('my-agent')

  const me = await agentPage.request.get('/api/me')
  const auth = (await me.json()) as { userId: string; isAgent: boolean; actor: { name: string } }
  expect(auth.userId).toBe(personUserId)
  expect(auth.isAgent).toBe(true)
  expect(auth.actor.name).toBe('my-agent')
  await agentContext.close()
})

test('signed out create task is 401', async ({ request }) => {
  const response = await request.post('/createAgentTask')
  expect(response.status()).toBe(401)
  expect(await response.json()).toEqual({ error: 'Unauthorized' })
})
