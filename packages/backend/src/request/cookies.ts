import { REFRESH_COOKIE_NAME, SESSION_COOKIE_MAX_AGE_SECONDS, SESSION_COOKIE_NAME } from '../constants.js'

/**
 * Returns the value of the first cookie with this name in a `Cookie` header, URI-decoded,
 * or undefined when there is none.
 */
export function readCookie(cookieHeader: string | null, name: string): string | undefined {
  if (cookieHeader === null) return undefined

  // Scans the header pair by pair with indexOf. This runs on every request, and splitting the
  // header would copy every cookie, the session token among them.
  let start = 0
  while (start < cookieHeader.length) {
    let end = cookieHeader.indexOf(';', start)
    if (end === -1) end = cookieHeader.length
    const separator = cookieHeader.indexOf('=', start)
    if (separator !== -1 && separator < end && cookieHeader.slice(start, separator).trim() === name) {
      return decodeCookieValue(cookieHeader.slice(separator + 1, end).trim())
    }
    start = end + 1
  }
  return undefined
}

function decodeCookieValue(raw: string): string {
  const value = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw
  // Session tokens are base64url and contain no '%', so the common case skips decoding.
  if (!value.includes('%')) return value
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
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
