import { expect, signInAs, test } from '@behalf/testing/playwright'

// Run with eight workers: each signs its own user in ten times, as a parallel suite would,
// and no sign-in may meet a rate limit or fail.
test.describe.configure({ mode: 'parallel' })

for (let index = 0; index < 8; index++) {
  test(`worker sign-in round ${index}`, async ({ page, testUser }) => {
    for (let attempt = 0; attempt < 10; attempt++) {
      await page.context().clearCookies()
      await signInAs(page, { userId: testUser.id }, { redirectUrl: '/dashboard' })
      await expect(page.locator('header')).toContainText(`Welcome, ${testUser.firstName}`)
    }
  })
}
