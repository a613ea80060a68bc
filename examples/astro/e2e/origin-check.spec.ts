import { test, expect } from '@playwright/test'

// Astro's security.checkOrigin stays on in the example: these are the requests it rejects
// before Behalf's middleware runs, and the one it lets through to the route.
test('cross-site sign-out form rejected', async ({ request }) => {
  const response = await request.post('/sign-out', {
    headers: { Origin: 'http://evil.example', 'Content-Type': 'application/x-www-form-urlencoded' },
    data: 'a=b',
  })
  expect(response.status()).toBe(403)
})

test('form post without Origin rejected', async ({ request }) => {
  const response = await request.post('/sign-out', { form: { a: 'b' } })
  expect(response.status()).toBe(403)
})

test('cross-site bodiless post rejected', async ({ request }) => {
  const response = await request.post('/api/example', { headers: { Origin: 'http://evil.example' } })
  expect(response.status()).toBe(403)
})

test('same-origin form post reaches route', async ({ request, baseURL }) => {
  const response = await request.post('/api/example', { headers: { Origin: baseURL as string }, form: { a: 'b' } })
  expect(response.status()).toBe(401)
})
