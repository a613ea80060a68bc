import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { APP_ORIGIN, APP_REDIRECT_URL, countRows, createUser, exchangeOk, handoffCodeOf, HANDOFF_PARAMETER, uniqueSuffix } from './support/fixtures.js'
import { CSRF_COOKIE, csrfCookieOf, openForm, postForm, signIn, signUp } from './support/forms.js'
import { startTestServer, type TestServer } from './support/server.js'

let server: TestServer

const PASSWORD = 'correct horse battery'

beforeAll(async () => {
  server = await startTestServer()
})

afterAll(async () => {
  await server?.close()
})

async function userWithPassword() {
  return createUser(server, { password: PASSWORD })
}

async function sessionsOf(userId: string) {
  return server.db.selectFrom('sessions').selectAll().where('user_id', '=', userId).execute()
}

describe('GET /sign-in', () => {
  it('renders form with CSRF token', async () => {
    const response = await fetch(`${server.url}/sign-in?redirect_url=${encodeURIComponent(APP_REDIRECT_URL)}`)
    const html = await response.text()

    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/html/)
    expect(html).toContain('<form method="post" action="/sign-in">')
    expect(html).toContain(`name="redirect_url" value="${APP_REDIRECT_URL}"`)

    const cookie = csrfCookieOf(response)
    expect(cookie).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/)
    expect(html).toContain(`name="csrf_token" value="${cookie}"`)
  })

  it('sets strict HttpOnly cookie', async () => {
    const response = await fetch(`${server.url}/sign-in?redirect_url=${encodeURIComponent(APP_REDIRECT_URL)}`)
    const header = response.headers.getSetCookie().find((value) => value.startsWith(`${CSRF_COOKIE}=`)) ?? ''

    expect(header).toMatch(/; HttpOnly/i)
    expect(header).toMatch(/; SameSite=Strict/i)
    expect(header).toMatch(/; Path=\//i)
    expect(header).not.toMatch(/; Secure/i)
  })

  it('sends page security headers', async () => {
    const response = await fetch(`${server.url}/sign-in?redirect_url=${encodeURIComponent(APP_REDIRECT_URL)}`)

    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(response.headers.get('referrer-policy')).toBe('no-referrer')
    expect(response.headers.get('x-frame-options')).toBe('DENY')
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
  })

  it('reuses genuine CSRF cookie', async () => {
    const form = await openForm(server, '/sign-in', APP_REDIRECT_URL)
    const response = await fetch(`${server.url}/sign-in?redirect_url=${encodeURIComponent(APP_REDIRECT_URL)}`, {
      headers: { Cookie: `${CSRF_COOKIE}=${form.cookie}` },
    })
    expect(csrfCookieOf(response)).toBeNull()
    expect(await response.text()).toContain(`value="${form.cookie}"`)
  })

  it.each([
    ['not on allow-list', 'https://evil.example/after'],
    ['javascript URL', 'javascript:alert(1)'],
    ['protocol-relative', '//evil.example'],
    ['userinfo', 'https://app.example.com@evil.example'],
  ])('redirect %s returns 400', async (_name, redirectUrl) => {
    for (const page of ['/sign-in', '/sign-up']) {
      const response = await fetch(`${server.url}${page}?redirect_url=${encodeURIComponent(redirectUrl)}`)
      expect(response.status, page).toBe(400)
      expect(response.headers.get('content-type'), page).toMatch(/^text\/html/)
      expect(csrfCookieOf(response), page).toBeNull()
    }
  })

  it('missing redirect returns 400', async () => {
    const response = await fetch(`${server.url}/sign-in`)
    expect(response.status).toBe(400)
    expect(await response.text()).toContain('redirect_url_missing')
  })
})

describe('POST /sign-in CSRF', () => {
  it('missing cookie returns 403', async () => {
    const user = await userWithPassword()
    const form = await openForm(server, '/sign-in', APP_REDIRECT_URL)
    const response = await postForm(server, '/sign-in', { email: user.email, password: PASSWORD, redirect_url: APP_REDIRECT_URL }, form, { cookie: null })

    expect(response.status).toBe(403)
    expect(await response.text()).toContain('csrf_token_invalid')
    expect(await sessionsOf(user.id)).toHaveLength(0)
  })

  it('forged cookie returns 403', async () => {
    const user = await userWithPassword()
    const forged = { cookie: 'forged-value.forged-mac', token: 'forged-value.forged-mac' }
    const response = await postForm(server, '/sign-in', { email: user.email, password: PASSWORD, redirect_url: APP_REDIRECT_URL }, forged)

    expect(response.status).toBe(403)
    expect(await sessionsOf(user.id)).toHaveLength(0)
  })

  it('token mismatch returns 403', async () => {
    const user = await userWithPassword()
    const first = await openForm(server, '/sign-in', APP_REDIRECT_URL)
    const second = await openForm(server, '/sign-in', APP_REDIRECT_URL)
    const response = await postForm(server, '/sign-in', { email: user.email, password: PASSWORD, redirect_url: APP_REDIRECT_URL }, { cookie: first.cookie, token: second.token })

    expect(response.status).toBe(403)
    expect(await sessionsOf(user.id)).toHaveLength(0)
  })

  it('cross-site Origin returns 403', async () => {
    const user = await userWithPassword()
    const form = await openForm(server, '/sign-in', APP_REDIRECT_URL)
    const response = await postForm(server, '/sign-in', { email: user.email, password: PASSWORD, redirect_url: APP_REDIRECT_URL }, form, {
      origin: 'https://evil.example',
    })

    expect(response.status).toBe(403)
    expect(await sessionsOf(user.id)).toHaveLength(0)
  })

  it('null Origin still needs the token', async () => {
    const user = await userWithPassword()
    const form = await openForm(server, '/sign-in', APP_REDIRECT_URL)
    const forged = await postForm(server, '/sign-in', { email: user.email, password: PASSWORD, redirect_url: APP_REDIRECT_URL }, null, { origin: 'null', cookie: `${CSRF_COOKIE}=${form.cookie}` })
    expect(forged.status).toBe(403)

    // Browsers send Origin: null for the hosted form's own post, because the page sets Referrer-Policy: no-referrer.
    const genuine = await postForm(server, '/sign-in', { email: user.email, password: PASSWORD, redirect_url: APP_REDIRECT_URL }, form, { origin: 'null' })
    expect(genuine.status).toBe(303)
  })

  it('disallowed redirect hides the allow-list', async () => {
    const response = await fetch(`${server.url}/sign-in?redirect_url=${encodeURIComponent('https://evil.example/')}`)
    const page = await response.text()

    expect(response.status).toBe(400)
    expect(page).toContain('redirect_url_not_allowed')
    expect(page).not.toContain('app.example.com')
  })

  it('same host other port returns 403', async () => {
    const user = await userWithPassword()
    const form = await openForm(server, '/sign-in', APP_REDIRECT_URL)
    const response = await postForm(server, '/sign-in', { email: user.email, password: PASSWORD, redirect_url: APP_REDIRECT_URL }, form, {
      origin: 'http://127.0.0.1:1',
    })
    expect(response.status).toBe(403)
  })
})

describe('POST /sign-in', () => {
  it('signs in and hands off', async () => {
    const user = await userWithPassword()
    const redirectUrl = `${APP_ORIGIN}/after?tab=1#top`
    const response = await signIn(server, { email: user.email.toUpperCase(), password: PASSWORD }, redirectUrl)

    expect(response.status).toBe(303)
    const [target, rest] = (response.headers.get('location') ?? '').split(`${HANDOFF_PARAMETER}=`)
    expect(target).toBe(`${APP_ORIGIN}/after?tab=1&`)
    expect(rest).toMatch(/^[A-Za-z0-9_-]{43}#top$/)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(response.headers.get('referrer-policy')).toBe('no-referrer')

    const tokens = await exchangeOk(server, handoffCodeOf(response) ?? '')
    const session = await server.api('GET', `/v1/sessions/${tokens.session_id}`)
    expect(session.body.user_id).toBe(user.id)
    expect(session.body.actor).toBeNull()
    expect((await server.api('GET', `/v1/users/${user.id}`)).body.last_sign_in_at).toEqual(expect.any(Number))
  })

  it('bad password returns 401 page', async () => {
    const user = await userWithPassword()
    const response = await signIn(server, { email: user.email, password: 'wrong password here' }, APP_REDIRECT_URL)
    const html = await response.text()

    expect(response.status).toBe(401)
    expect(html).toContain('The email address or password is incorrect.')
    expect(html).toContain(`value="${user.email}"`)
    expect(html).not.toContain('wrong password here')
    expect(await sessionsOf(user.id)).toHaveLength(0)
  })

  it('unknown email gets same message', async () => {
    const response = await signIn(server, { email: 'nobody@example.com', password: PASSWORD }, APP_REDIRECT_URL)
    expect(response.status).toBe(401)
    expect(await response.text()).toContain('The email address or password is incorrect.')
  })

  it('user without password cannot sign in', async () => {
    const user = await createUser(server)
    const response = await signIn(server, { email: user.email, password: PASSWORD }, APP_REDIRECT_URL)
    expect(response.status).toBe(401)
  })

  it('banned user cannot sign in', async () => {
    const user = await userWithPassword()
    await server.api('POST', `/v1/users/${user.id}/ban`)
    const response = await signIn(server, { email: user.email, password: PASSWORD }, APP_REDIRECT_URL)

    expect(response.status).toBe(403)
    expect(response.headers.get('location')).toBeNull()
    expect(await sessionsOf(user.id)).toHaveLength(0)
  })

  it('posted redirect off allow-list returns 400', async () => {
    const user = await userWithPassword()
    const form = await openForm(server, '/sign-in', APP_REDIRECT_URL)
    const response = await postForm(server, '/sign-in', { email: user.email, password: PASSWORD, redirect_url: 'https://evil.example/' }, form)

    expect(response.status).toBe(400)
    expect(response.headers.get('location')).toBeNull()
    expect(await sessionsOf(user.id)).toHaveLength(0)
  })

  it('escapes reflected email', async () => {
    const response = await signIn(server, { email: '"><script>alert(1)</script>', password: PASSWORD }, APP_REDIRECT_URL)
    const html = await response.text()
    expect(html).not.toContain('<script>alert(1)</script>')
    expect(html).toContain('&lt;script&gt;')
  })
})

describe('POST /sign-up', () => {
  it('creates unverified user and hands off', async () => {
    const email = `signup-${uniqueSuffix()}@example.com`
    const usersBefore = await countRows(server, 'users')
    const response = await signUp(server, { email, password: PASSWORD, first_name: 'Grace' }, APP_REDIRECT_URL)

    expect(response.status).toBe(303)
    expect((response.headers.get('location') ?? '').split(`${HANDOFF_PARAMETER}=`)[0]).toBe(`${APP_REDIRECT_URL}?`)
    expect(await countRows(server, 'users')).toBe(usersBefore + 1)

    const [user] = (await server.api('GET', `/v1/users?email_address=${encodeURIComponent(email)}`)).body
    expect(user.first_name).toBe('Grace')
    expect(user.password_enabled).toBe(true)
    expect(user.email_addresses[0].verification.status).toBe('unverified')

    const tokens = await exchangeOk(server, handoffCodeOf(response) ?? '')
    expect((await server.api('GET', `/v1/sessions/${tokens.session_id}`)).body.user_id).toBe(user.id)
  })

  it('signed-up user can sign in', async () => {
    const email = `signup-${uniqueSuffix()}@example.com`
    await signUp(server, { email, password: PASSWORD }, APP_REDIRECT_URL)
    const response = await signIn(server, { email, password: PASSWORD }, APP_REDIRECT_URL)
    expect(response.status).toBe(303)
  })

  it('duplicate email shows error', async () => {
    const user = await userWithPassword()
    const usersBefore = await countRows(server, 'users')
    const response = await signUp(server, { email: user.email, password: PASSWORD }, APP_REDIRECT_URL)
    const html = await response.text()

    expect(response.status).toBe(422)
    expect(html).toContain('An account with this email address already exists.')
    expect(await countRows(server, 'users')).toBe(usersBefore)
  })

  it.each([
    ['short password', { email: 'short-pw@example.com', password: 'short' }, 'at least 8 characters'],
    ['invalid email', { email: 'not-an-email', password: PASSWORD }, 'must be an email address'],
    ['missing first name', { email: 'no-name@example.com', password: PASSWORD, first_name: ' ' }, 'Enter your first name'],
  ])('%s shows error', async (_name, fields, message) => {
    const usersBefore = await countRows(server, 'users')
    const response = await signUp(server, fields, APP_REDIRECT_URL)

    expect(response.status).toBe(422)
    expect(await response.text()).toContain(message)
    expect(await countRows(server, 'users')).toBe(usersBefore)
  })

  it('sign-up without CSRF returns 403', async () => {
    const usersBefore = await countRows(server, 'users')
    const response = await postForm(server, '/sign-up', { email: `x-${uniqueSuffix()}@example.com`, password: PASSWORD, first_name: 'A', redirect_url: APP_REDIRECT_URL }, null)

    expect(response.status).toBe(403)
    expect(await countRows(server, 'users')).toBe(usersBefore)
  })
})
