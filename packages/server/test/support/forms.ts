import { TEST_USER_AGENT, type TestServer } from './server.js'

export const CSRF_COOKIE = 'behalf_server_csrf'

export interface FormSession {
  /** The CSRF cookie's value, as the server set it. */
  cookie: string
  /** The token in the form's hidden csrf_token field. */
  token: string
}

/** Opens a hosted page and returns its CSRF cookie and form token. */
export async function openForm(server: TestServer, page: '/sign-in' | '/sign-up', redirectUrl: string): Promise<FormSession> {
  const response = await fetch(`${server.url}${page}?redirect_url=${encodeURIComponent(redirectUrl)}`, { headers: { 'User-Agent': TEST_USER_AGENT } })
  const html = await response.text()
  if (response.status !== 200) throw new Error(`GET ${page} returned ${response.status}: ${html}`)

  const cookie = csrfCookieOf(response)
  const token = /name="csrf_token" value="([^"]*)"/.exec(html)?.[1]
  if (!cookie || !token) throw new Error(`GET ${page} returned no CSRF cookie or token`)
  return { cookie, token }
}

export function csrfCookieOf(response: Response): string | null {
  for (const header of response.headers.getSetCookie()) {
    const match = new RegExp(`^${CSRF_COOKIE}=([^;]*)`).exec(header)
    if (match) return match[1] ?? null
  }
  return null
}

export interface PostFormOptions {
  /** Cookie header value; defaults to the CSRF cookie of `form`. `null` sends none. */
  cookie?: string | null
  origin?: string | null
}

/** Posts a hosted form as a browser would: url-encoded body, CSRF cookie, same-origin Origin header. */
export function postForm(server: TestServer, page: '/sign-in' | '/sign-up', fields: Record<string, string>, form: FormSession | null, options: PostFormOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded', 'User-Agent': TEST_USER_AGENT }

  let cookie = options.cookie ?? null
  if (options.cookie === undefined && form) cookie = `${CSRF_COOKIE}=${form.cookie}`
  if (cookie !== null) headers.Cookie = cookie
  const origin = options.origin === undefined ? server.url : options.origin
  if (origin !== null) headers.Origin = origin

  const body = new URLSearchParams({ ...(form ? { csrf_token: form.token } : {}), ...fields })
  return fetch(`${server.url}${page}`, { method: 'POST', headers, body: body.toString(), redirect: 'manual' })
}

/** Signs up through the hosted page and returns the response (a 303 on success). */
export async function signUp(server: TestServer, fields: { email: string; password: string; first_name?: string }, redirectUrl: string): Promise<Response> {
  const form = await openForm(server, '/sign-up', redirectUrl)
  return postForm(server, '/sign-up', { first_name: 'Ada', last_name: 'Lovelace', redirect_url: redirectUrl, ...fields }, form)
}

export async function signIn(server: TestServer, fields: { email: string; password: string }, redirectUrl: string): Promise<Response> {
  const form = await openForm(server, '/sign-in', redirectUrl)
  return postForm(server, '/sign-in', { redirect_url: redirectUrl, ...fields }, form)
}
