import { REFRESH_COOKIE_NAME, SESSION_COOKIE_MAX_AGE_SECONDS, SESSION_COOKIE_NAME } from '../constants.js'

/**
 * Returns the value of the first cookie with this name in a `Cookie` header, URI-decoded,
 * or undefined when there is none.
 */
export function readCookie(cookieHeader: string | null, name: string): string | undefined {
  if (cookieHeader === null) return undefined

  for (const pair of cookieHeader.split(';')) {
    const separator = pair.indexOf('=')
    if (separator === -1) continue
    if (pair.slice(0, separator).trim() !== name) continue

    let value = pair.slice(separator + 1).trim()
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1)
    try {
      return decodeURIComponent(value)
    } catch {
      return value
    }
  }
  return undefined
}

export interface CookieAttributes {
  /** Adds `Secure`, so the browser sends the cookie over https only. */
  secure: boolean
  /** Lifetime in seconds. 0 deletes the cookie. */
  maxAge: number
}

/**
 * Builds a `Set-Cookie` value for one of the app's auth cookies. `HttpOnly` keeps tokens away
 * from page scripts, `SameSite=Lax` keeps them out of cross-site subrequests and POSTs, and
 * `Path=/` makes one cookie cover the whole app.
 */
export function serializeCookie(name: string, value: string, attributes: CookieAttributes): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, 'Path=/', 'HttpOnly', 'SameSite=Lax', `Max-Age=${attributes.maxAge}`]
  if (attributes.maxAge === 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT')
  if (attributes.secure) parts.push('Secure')
  return parts.join('; ')
}

export function sessionCookie(sessionToken: string, secure: boolean): string {
  return serializeCookie(SESSION_COOKIE_NAME, sessionToken, { secure, maxAge: SESSION_COOKIE_MAX_AGE_SECONDS })
}

export function refreshCookie(refreshToken: string, secure: boolean): string {
  return serializeCookie(REFRESH_COOKIE_NAME, refreshToken, { secure, maxAge: SESSION_COOKIE_MAX_AGE_SECONDS })
}

/** Returns the two `Set-Cookie` values that delete the session and refresh cookies. */
export function clearingCookies(secure: boolean): [string, string] {
  return [
    serializeCookie(SESSION_COOKIE_NAME, '', { secure, maxAge: 0 }),
    serializeCookie(REFRESH_COOKIE_NAME, '', { secure, maxAge: 0 }),
  ]
}

/** Returns whether cookies set for this request URL get the `Secure` attribute, which is true on https. */
export function isSecureUrl(url: URL): boolean {
  return url.protocol === 'https:'
}
