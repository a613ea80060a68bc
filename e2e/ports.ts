/** Fixed ports for the browser test run, away from `npm start`'s 3000 and 4000 so both can run at once. */
export const E2E_PORTS = {
  behalf: Number(process.env.E2E_BEHALF_PORT ?? 4100),
  express: Number(process.env.E2E_EXPRESS_PORT ?? 3100),
}

export const SEEDED_USER = {
  email: 'grace@example.com',
  firstName: 'Grace',
  password: 'correct-horse-battery',
}
