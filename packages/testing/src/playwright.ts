import { createClient, type BehalfClient, type CreateUserParams, type User } from '@behalf/backend'
import { test as base, type Page } from '@playwright/test'

import { signInAs } from './sign-in-as.js'

export { expect } from '@playwright/test'
export { signInAs, type SignInAsOptions, type SignInResult, type SignInTarget } from './sign-in-as.js'

export interface BehalfWorkerFixtures {
  /** Backend API client configured from `BEHALF_SECRET_KEY` and `BEHALF_API_URL`. */
  behalf: BehalfClient
  /** Overrides for the worker's test user (names, metadata); the email address is always generated. */
  testUserParams: Partial<CreateUserParams>
  /** A user of this worker's own, created before its first test and deleted after its last. */
  testUser: User
}

export interface BehalfTestFixtures {
  /** `page`, already signed in as `testUser` and on the project's `baseURL`. */
  signedInPage: Page
}

/**
 * Playwright's `test` with Behalf fixtures. A user per worker keeps parallel workers from
 * sharing state (sessions, data the app stores per user) while costing one API call per
 * worker, not per test.
 */
export const test = base.extend<BehalfTestFixtures, BehalfWorkerFixtures>({
  behalf: [
    async ({}, use) => {
      await use(createClient())
    },
    { scope: 'worker' },
  ],

  testUserParams: [{}, { scope: 'worker', option: true }],

  testUser: [
    async ({ behalf, testUserParams }, use, workerInfo) => {
      const unique = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
      const user = await behalf.users.create({
        firstName: 'Playwright',
        lastName: `Worker ${workerInfo.parallelIndex}`,
        ...testUserParams,
        emailAddress: [`playwright-worker-${workerInfo.workerIndex}-${unique}@example.com`],
      })

      await use(user)

      // Deleting the user also revokes every session the worker's tests created.
      await behalf.users.delete(user.id)
    },
    { scope: 'worker' },
  ],

  signedInPage: async ({ page, testUser, behalf }, use) => {
    await signInAs(page, { userId: testUser.id }, { client: behalf })
    await use(page)
  },
})
