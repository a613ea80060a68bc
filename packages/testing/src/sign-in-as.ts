import { createClient, type AgentTask, type BehalfClient, type User } from '@behalf/backend'
import { test, type Page } from '@playwright/test'

/** User to sign in: a user id, or a verified email address, phone number or username. */
export type SignInTarget = { userId: string } | { identifier: string }

export interface SignInAsOptions {
  /**
   * Page to land on, absolute or relative to the project's `baseURL`. Defaults to `baseURL`
   * itself. Its origin must be on the Behalf instance's allow-list.
   */
  redirectUrl?: string
  /** Client to create the agent task with. Defaults to one configured from `BEHALF_SECRET_KEY` and `BEHALF_API_URL`. */
  client?: BehalfClient
  /** Agent recorded as the session's actor. Defaults to `playwright`. */
  agentName?: string
  taskDescription?: string
  /** Lifetime of the session; the server's default is 1800 seconds. */
  sessionMaxDurationInSeconds?: number
}

export interface SignInResult {
  agentTask: AgentTask
  user: User
}

let defaultClient: BehalfClient | null = null

function resolveClient(options: SignInAsOptions): BehalfClient {
  if (options.client) return options.client
  defaultClient ??= createClient()
  return defaultClient
}

/** Returns the running test's `baseURL`, or undefined outside a test or when the project sets none. */
function projectBaseUrl(): string | undefined {
  try {
    return test.info().project.use.baseURL
  } catch {
    return undefined
  }
}

function resolveRedirectUrl(redirectUrl: string | undefined): URL {
  const baseUrl = projectBaseUrl()
  if (redirectUrl === undefined && baseUrl === undefined) {
    throw new Error('signInAs needs a page to land on: set use.baseURL in playwright.config (the signedInPage fixture needs it), or pass redirectUrl in the options.')
  }
  try {
    return new URL(redirectUrl ?? '/', baseUrl)
  } catch {
    throw new Error(`signInAs: redirectUrl ${JSON.stringify(redirectUrl)} is not an absolute URL and no baseURL is set to resolve it against.`)
  }
}

/**
 * Signs `page` in as a user without a sign-in form: creates an agent task, opens its one-time
 * URL, and waits until the browser has landed on the redirect target with the handoff done.
 * The page's context then contains the app's session cookies, like after a real sign-in.
 */
export async function signInAs(page: Page, target: SignInTarget, options: SignInAsOptions = {}): Promise<SignInResult> {
  const client = resolveClient(options)
  const redirectUrl = resolveRedirectUrl(options.redirectUrl)

  const agentTask = await client.agentTasks.create({
    onBehalfOf: target,
    permissions: '*',
    agentName: options.agentName ?? 'playwright',
    taskDescription: options.taskDescription ?? 'Playwright test sign-in',
    redirectUrl: redirectUrl.href,
    sessionMaxDurationInSeconds: options.sessionMaxDurationInSeconds,
  })

  try {
    await page.goto(agentTask.url)
  } catch (error) {
    // Playwright's message contains the URL, and with it the ticket: it is replaced, not wrapped.
    const reason = /net::ERR_[A-Z_]+/.exec((error as Error).message)?.[0] ?? 'the navigation failed'
    throw new Error(`signInAs: opening the agent-task URL and following it to ${redirectUrl.origin} failed (${reason}). Check that the app is running at ${redirectUrl.origin} and the Behalf server at ${client.apiUrl}.`)
  }

  // The server redirects a usable link to the app. An unusable one stays on the server's error page.
  const landed = new URL(page.url())
  if (landed.origin !== redirectUrl.origin) {
    const code = await page.getByTestId('error-code').textContent({ timeout: 1_000 }).catch(() => null)
    throw new Error(`signInAs: opening the agent-task URL did not reach ${redirectUrl.origin} (ended on ${landed.origin}${landed.pathname}${code ? `, error ${code}` : ''}).`)
  }
  await page.waitForURL((url) => url.origin === redirectUrl.origin && !url.searchParams.has('__behalf_handoff'))

  const details = await client.agentTasks.get(agentTask.agentTaskId)
  const user = await client.users.get(details.userId)
  return { agentTask, user }
}
