import { html } from 'hono/html'

import { layout } from './layout.js'

export interface FormState {
  csrfToken: string
  redirectUrl: string
  email?: string
  firstName?: string
  lastName?: string
  error?: string
}

function errorBlock(error: string | undefined) {
  return error ? html`<p class="error" role="alert">${error}</p>` : ''
}

export function signInPage(state: FormState) {
  const signUpHref = `/sign-up?redirect_url=${encodeURIComponent(state.redirectUrl)}`
  return layout(
    'Sign in',
    html`<h1>Sign in</h1>
      ${errorBlock(state.error)}
      <form method="post" action="/sign-in">
        <input type="hidden" name="csrf_token" value="${state.csrfToken}" />
        <input type="hidden" name="redirect_url" value="${state.redirectUrl}" />
        <label for="email">Email address</label>
        <input id="email" name="email" type="email" autocomplete="username" required value="${state.email ?? ''}" />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required />
        <button type="submit">Sign in</button>
      </form>
      <p class="footer">No account yet? <a href="${signUpHref}">Sign up</a></p>`,
  )
}

export function signUpPage(state: FormState) {
  const signInHref = `/sign-in?redirect_url=${encodeURIComponent(state.redirectUrl)}`
  return layout(
    'Sign up',
    html`<h1>Create your account</h1>
      ${errorBlock(state.error)}
      <form method="post" action="/sign-up">
        <input type="hidden" name="csrf_token" value="${state.csrfToken}" />
        <input type="hidden" name="redirect_url" value="${state.redirectUrl}" />
        <label for="first_name">First name</label>
        <input id="first_name" name="first_name" autocomplete="given-name" required value="${state.firstName ?? ''}" />
        <label for="last_name">Last name</label>
        <input id="last_name" name="last_name" autocomplete="family-name" value="${state.lastName ?? ''}" />
        <label for="email">Email address</label>
        <input id="email" name="email" type="email" autocomplete="username" required value="${state.email ?? ''}" />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="new-password" required minlength="8" />
        <button type="submit">Sign up</button>
      </form>
      <p class="footer">Have an account? <a href="${signInHref}">Sign in</a></p>`,
  )
}
