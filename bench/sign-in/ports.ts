/** Ports of the sign-in benchmark, away from the browser tests' 3100 and 4100 so both can run at once. */
export const SIGN_IN_BENCH_BEHALF_PORT = 4140
export const SIGN_IN_BENCH_APP_PORT = 3140

export const BENCH_USER = { email: 'grace@example.com', firstName: 'Grace', password: 'correct-horse-battery' }
