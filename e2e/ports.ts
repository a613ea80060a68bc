/** The Behalf server's port for the browser test run, away from `npm start`'s 4000 so both can run at once. */
export const E2E_BEHALF_PORT = Number(process.env.E2E_BEHALF_PORT ?? 4100)

export const SEEDED_USER = {
  email: 'grace@example.com',
  firstName: 'Grace',
  password: 'correct-horse-battery',
}

/** Short session tokens, so that the browser tests see refreshes and revocations within seconds. */
export const E2E_SESSION_TOKEN_TTL_SECONDS = 5
