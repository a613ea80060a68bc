import { isLoopbackHost, type ServerConfig } from './config.js'

export type RedirectCheck =
  | { ok: true; url: URL }
  | { ok: false; reason: 'invalid' | 'not_allowed'; message: string }

const MAX_REDIRECT_URL_LENGTH = 2048

// Only the two absolute forms, spelled out: WHATWG URL parsing would otherwise accept
// `https:evil.example`, `https:/\evil.example` and similar shapes that browsers resolve unexpectedly.
const ABSOLUTE_HTTP_URL = /^https?:\/\/[^/\\?#@\s]+(?:[/?#][^\s\\]*)?$/i

/**
 * Checks a redirect target against the instance's allow-list of origins (scheme, host, port).
 * Development instances also allow any port on localhost and 127.0.0.1.
 */
export function checkRedirectUrl(value: string, config: Pick<ServerConfig, 'allowedOrigins' | 'mode'>): RedirectCheck {
  if (value.length > MAX_REDIRECT_URL_LENGTH) {
    return { ok: false, reason: 'invalid', message: `must be at most ${MAX_REDIRECT_URL_LENGTH} characters long` }
  }
  // Control characters and non-ASCII text hide the real host (IDN homographs, tabs that browsers strip).
  if (/[^\x21-\x7e]/.test(value)) {
    return {
      ok: false,
      reason: 'invalid',
      message:
        'must contain printable ASCII characters only, without spaces: write an international domain name in its punycode (xn--) form and percent-encode the rest',
    }
  }
  if (!ABSOLUTE_HTTP_URL.test(value)) {
    return {
      ok: false,
      reason: 'invalid',
      message: 'must be an absolute http or https URL such as https://app.example.com/dashboard, without user info or backslashes',
    }
  }

  let url: URL
  try {
    url = new URL(value)
  } catch {
    return { ok: false, reason: 'invalid', message: 'is not a valid URL' }
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, reason: 'invalid', message: 'must not contain user info (user@host)' }
  }
  // An app that turns the target into a relative Location would send `//evil.example/…` to another host.
  if (url.pathname.startsWith('//')) {
    return { ok: false, reason: 'invalid', message: 'must not have a path that starts with //' }
  }
  if (url.port === '0') {
    return { ok: false, reason: 'invalid', message: 'must not use port 0' }
  }

  if (isOriginAllowed(url, config)) return { ok: true, url }

  const allowed = config.allowedOrigins.length > 0 ? config.allowedOrigins.join(', ') : 'none configured'
  return {
    ok: false,
    reason: 'not_allowed',
    message: `has the origin ${url.origin}, which is not on this instance's allow-list (${allowed}). Add it to BEHALF_ALLOWED_ORIGINS`,
  }
}

function isOriginAllowed(url: URL, config: Pick<ServerConfig, 'allowedOrigins' | 'mode'>): boolean {
  if (config.allowedOrigins.includes(url.origin)) return true
  return config.mode === 'development' && isLoopbackHost(url.hostname)
}

/**
 * Appends one query parameter, keeping the rest of the URL (including its fragment) as it was.
 * An existing parameter of the same name is replaced. The other pairs are copied byte for byte,
 * because `URLSearchParams` would re-serialize them (`%20` becomes `+`, `flag` becomes `flag=`),
 * and apps may read their query with a decoder that treats those forms differently.
 */
export function withQueryParameter(url: URL, name: string, value: string): string {
  const target = new URL(url.href)
  const keptPairs = target.search
    .slice(1)
    .split('&')
    .filter((pair) => pair !== '' && decodeQueryName(pair) !== name)
  keptPairs.push(`${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
  target.search = `?${keptPairs.join('&')}`
  return target.href
}

function decodeQueryName(pair: string): string {
  const rawName = pair.split('=', 1)[0] ?? ''
  try {
    return decodeURIComponent(rawName.replace(/\+/g, ' '))
  } catch {
    // A malformed escape cannot spell the parameter's name, so the pair is kept as it is.
    return rawName
  }
}
