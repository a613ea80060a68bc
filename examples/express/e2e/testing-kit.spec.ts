import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import { expect, signInAs, test } from '@behalf/testing/playwright'

test('signedInPage lands signed in', async ({ signedInPage, testUser }) => {
  await signedInPage.goto('/dashboard')
  await expect(signedInPage.locator('header')).toContainText(`Welcome, ${testUser.firstName}`)
  await expect(signedInPage.getByTestId('user-id')).toHaveText(testUser.id)
})

test('signInAs by identifier', async ({ page, testUser }) => {
  const email = testUser.primaryEmailAddress?.emailAddress as string
  const { user, agentTask } = await signInAs(page, { identifier: email }, { redirectUrl: '/dashboard', agentName: 'kit-agent' })

  expect(user.id).toBe(testUser.id)
  expect(agentTask.url).toContain('/agent-tasks/accept?ticket=')
  await expect(page).toHaveURL(/\/dashboard$/)
  await expect(page.getByTestId('actor')).toContainText('kit-agent')
})

test('signInAs rejects unknown identifier', async ({ page }) => {
  await expect(signInAs(page, { identifier: 'nobody-at-all@example.com' })).rejects.toMatchObject({ status: 404 })
  expect(page.url()).toBe('about:blank')
})

test('storageState carries the session', async ({ page, browser, testUser }) => {
  await signInAs(page, { userId: testUser.id }, { redirectUrl: '/dashboard' })
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'behalf-storage-')), 'state.json')
  await page.context().storageState({ path: file })

  const reused = await browser.newContext({ storageState: file })
  const reusedPage = await reused.newPage()
  await reusedPage.goto('/dashboard')
  await expect(reusedPage.locator('header')).toContainText(`Welcome, ${testUser.firstName}`)
  await reused.close()
  fs.rmSync(path.dirname(file), { recursive: true, force: true })
})

test('signInAs explains an unreachable app', async ({ page, testUser }) => {
  const failure = await signInAs(page, { userId: testUser.id }, { redirectUrl: 'http://localhost:3199/' }).catch((error: Error) => error)
  expect(failure).toBeInstanceOf(Error)
  expect((failure as Error).message).toContain('app is running at http://localhost:3199')
  expect((failure as Error).message).not.toContain('ticket=')
})
