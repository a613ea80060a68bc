import { createClient } from '@behalf/backend'
import { expect, test } from '@playwright/test'

import { signForwardedState } from '../../../packages/nextjs/dist/forwarded-state.js'

const behalf = createClient({ secretKey: process.env.BEHALF_SECRET_KEY })

test('proxy replaces client-sent state', async ({ page, baseURL, playwright }) => {
  const agentTask = await behalf.agentTasks.create({
    onBehalfOf: { userId: process.env.E2E_USER_ID as string },
    permissions: '*',
    agentName: 'forging-agent',
    taskDescription: 'forwarded state',
    redirectUrl: `${baseURL}/dashboard`,
  })
  await page.goto(agentTask.url)
  const sessionToken = (await page.context().cookies()).find((cookie) => cookie.name === '__behalf_session')?.value ?? null
  expect(sessionToken).toBeTruthy()

  // Even a correctly signed state must not pass the proxy, so a leaked one cannot be replayed through it.
  const forged = await signForwardedState(
    {
      version: 1,
      status: 'signed-in',
      reason: 'session-token-valid',
      sessionToken,
      url: `${baseURL}/api/me`,
      options: { authorizedParties: [baseURL as string] },
    },
    process.env.BEHALF_SECRET_KEY as string,
  )
  const cookieless = await playwright.request.newContext({ baseURL })
  const response = await cookieless.get('/api/me', {
    headers: { 'X-Behalf-Auth-State': forged.value, 'X-Behalf-Auth-Signature': forged.signature },
  })
  expect(response.status()).toBe(401)
  await cookieless.dispose()
})
