import { redirect } from '@tanstack/react-router'

import { getBehalfContext } from './context.js'

export interface RedirectToSignInOptions {
  /**
   * Page that the hosted sign-in page returns the person to, absolute or relative to the
   * request URL. Defaults to the request URL. In a server function that is the function's own
   * URL, so pass the page's path there.
   */
  returnBackUrl?: string
  /** Sign-in page. Defaults to the middleware's `signInUrl`, `${issuer}/sign-in`. */
  signInUrl?: string
}

/**
 * Throws a TanStack Router redirect to the hosted sign-in page, with `redirect_url` set to the
 * page to return to. The Behalf server checks `redirect_url` against its allow-list.
 */
export function redirectToSignIn(options: RedirectToSignInOptions = {}): never {
  const { requestState, request } = getBehalfContext('redirectToSignIn()')
  const returnBackUrl = new URL(options.returnBackUrl ?? request.url, request.url)
  const signInUrl = new URL(options.signInUrl ?? requestState.signInUrl)
  signInUrl.searchParams.set('redirect_url', returnBackUrl.href)
  throw redirect({ href: signInUrl.href })
}
