import { DEFAULT_API_URL } from './constants.js'
import { BehalfConfigurationError } from './errors.js'

/** Reads an environment variable. Edge runtimes without `process.env` get undefined, and so does an empty value. */
export function readEnv(name: string): string | undefined {
  const processObject = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
  const value = processObject?.env?.[name]
  return value === '' ? undefined : value
}

// Validated API URLs by their raw value. authenticateRequest resolves the API URL on every
// request, and parsing it each time showed in profiles. Apps use one or a few URLs, so the
// map stays small, and it is emptied when it reaches the limit.
const resolvedApiUrls = new Map<string, string>()
const MAX_RESOLVED_API_URLS = 100

/** Returns the API URL without trailing slashes, from `apiUrl`, `BEHALF_API_URL` or the default. */
export function resolveApiUrl(apiUrl?: string): string {
  const raw = apiUrl ?? readEnv('BEHALF_API_URL') ?? DEFAULT_API_URL
  let resolved = resolvedApiUrls.get(raw)
  if (resolved === undefined) {
    resolved = validateApiUrl(raw)
    if (resolvedApiUrls.size >= MAX_RESOLVED_API_URLS) resolvedApiUrls.clear()
    resolvedApiUrls.set(raw, resolved)
  }
  return resolved
}

function validateApiUrl(raw: string): string {
  let parsed: URL
  try {
    parsed = new URL(raw)
  } catch {
    throw new BehalfConfigurationError(
      `apiUrl "${raw}" is not a valid URL. Set apiUrl or BEHALF_API_URL to the Behalf server's URL, such as ${DEFAULT_API_URL}.`,
    )
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new BehalfConfigurationError(
      `apiUrl "${raw}" must use http or https. Set apiUrl or BEHALF_API_URL to the Behalf server's URL, such as ${DEFAULT_API_URL}.`,
    )
  }
  if (parsed.search !== '' || parsed.hash !== '') {
    throw new BehalfConfigurationError(
      `apiUrl "${raw}" must not contain a query string or fragment. Set apiUrl or BEHALF_API_URL to the Behalf server's base URL.`,
    )
  }

  return stripTrailingSlashes(raw)
}

export function stripTrailingSlashes(url: string): string {
  return url.replace(/\/+$/, '')
}

/**
 * Returns the secret key from `secretKey` or `BEHALF_SECRET_KEY`, or throws a
 * {@link BehalfConfigurationError} that explains how to get one.
 */
export function resolveSecretKey(secretKey?: string): string {
  const key = secretKey === '' ? undefined : (secretKey ?? readEnv('BEHALF_SECRET_KEY'))
  if (key === undefined) {
    throw new BehalfConfigurationError(
      'Missing Behalf secret key. Set the BEHALF_SECRET_KEY environment variable or pass secretKey. ' +
        'Create a key with `behalf keys create`, or copy the one the server wrote to .behalf/secret-key on its first start.',
    )
  }
  if (!/^sk_(test|live)_\S+$/.test(key)) {
    // The message must not echo the value, because a mistyped secret key is still a secret.
    throw new BehalfConfigurationError(
      'Invalid Behalf secret key: it must start with sk_test_ or sk_live_. Check BEHALF_SECRET_KEY or the secretKey option. ' +
        'Create a key with `behalf keys create`.',
    )
  }
  return key
}
