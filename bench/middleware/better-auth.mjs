import { betterAuth } from 'better-auth'
import { getMigrations } from 'better-auth/db/migration'
import Database from 'better-sqlite3'

/** Better Auth with email and password sign-in on a SQLite file, in its default configuration otherwise. */
export function createBetterAuth(databaseFile, baseURL) {
  return betterAuth({
    database: new Database(databaseFile),
    secret: 'bench-secret-0123456789abcdef0123456789abcdef',
    baseURL,
    emailAndPassword: { enabled: true },
    logger: { disabled: true },
  })
}

/**
 * Creates Better Auth's tables in `databaseFile`, signs a user up and returns the `Cookie`
 * header value of that user's session.
 */
export async function prepareBetterAuthSession(databaseFile, baseURL) {
  const auth = createBetterAuth(databaseFile, baseURL)
  const { runMigrations } = await getMigrations(auth.options)
  await runMigrations()

  const response = await auth.api.signUpEmail({
    body: { email: 'ada@example.com', password: 'correct-horse-battery', name: 'Ada' },
    asResponse: true,
  })
  if (!response.ok) throw new Error(`Better Auth sign-up failed with ${response.status}: ${await response.text()}`)
  return response.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';', 1)[0])
    .join('; ')
}
