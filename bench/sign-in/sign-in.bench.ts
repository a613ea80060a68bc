import { signInAs } from '@behalf/testing/playwright'
import { expect, test, type Browser } from '@playwright/test'

import { BENCH_USER } from './ports.js'

const RUNS = Number(process.env.BENCH_RUNS ?? 15)

type Way = 'signInAs' | 'form'

/**
 * Times one way of reaching the signed-in dashboard in a new browser context (no cookies), from
 * the context's creation to the page showing the user's name.
 */
async function timeSignIn(browser: Browser, way: Way): Promise<number> {
  const started = performance.now()
  const context = await browser.newContext()
  const page = await context.newPage()

  if (way === 'signInAs') {
    await signInAs(page, { userId: process.env.BENCH_USER_ID as string }, { redirectUrl: '/dashboard' })
  } else {
    await page.goto('/dashboard')
    await expect(page).toHaveURL(/\/sign-in\?redirect_url=/)
    await page.getByLabel('Email address').fill(BENCH_USER.email)
    await page.getByLabel('Password').fill(BENCH_USER.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
  }
  await expect(page.locator('header')).toContainText(`Welcome, ${BENCH_USER.firstName}`)

  const elapsed = performance.now() - started
  await context.close()
  return elapsed
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

test('signInAs against the sign-in form', async ({ browser }) => {
  const times: Record<Way, number[]> = { signInAs: [], form: [] }

  // One untimed run of each warms up the browser, the app and the server.
  await timeSignIn(browser, 'signInAs')
  await timeSignIn(browser, 'form')

  for (let run = 0; run < RUNS; run++) {
    const order: Way[] = run % 2 === 0 ? ['signInAs', 'form'] : ['form', 'signInAs']
    for (const way of order) times[way].push(await timeSignIn(browser, way))
  }

  const signInAsMedian = median(times.signInAs)
  const formMedian = median(times.form)
  console.log(`${RUNS} runs each, order alternating`)
  console.log('| way to a signed-in page | median ms | min–max ms |')
  console.log('|---|---|---|')
  for (const way of ['signInAs', 'form'] as const) {
    const label = way === 'signInAs' ? 'signInAs (agent task)' : 'hosted sign-in form'
    console.log(`| ${label} | ${median(times[way]).toFixed(0)} | ${Math.min(...times[way]).toFixed(0)}–${Math.max(...times[way]).toFixed(0)} |`)
  }
  console.log(`ratio form / signInAs: ${(formMedian / signInAsMedian).toFixed(2)}`)
})
