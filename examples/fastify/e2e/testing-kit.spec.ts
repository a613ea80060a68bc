import { expect, test } from '@behalf/testing/playwright'

test('signedInPage lands signed in', async ({ signedInPage, testUser }) => {
  await signedInPage.goto('/dashboard')
  await expect(signedInPage.locator('header')).toContainText(`Welcome, ${testUser.firstName}`)
  await expect(signedInPage.getByTestId('user-id')).toHaveText(testUser.id)
})
