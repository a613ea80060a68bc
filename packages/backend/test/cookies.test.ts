import { describe, expect, it } from 'vitest'

import {
  clearingCookies,
  readCookie,
  refreshCookie,
  serializeCookie,
  sessionCookie,
} from '../src/request/cookies.js'
import { readBearerToken, removeQueryParam } from '../src/request/authenticate.js'

describe('serializeCookie', () => {
  it('sets security attributes', () => {
    const cookie = sessionCookie('header.payload.signature', false)

    expect(cookie.startsWith('__behalf_session=header.payload.signature;')).toBe(true)
    expect(cookie).toContain('; HttpOnly')
    expect(cookie).toContain('; SameSite=Lax')
    expect(cookie).toContain('; Path=/')
    expect(cookie).toContain('; Max-Age=604800')
    expect(cookie).not.toContain('Secure')
  })

  it('adds Secure when asked', () => {
    expect(refreshCookie('rt_1', true)).toContain('; Secure')
  })

  it('encodes unsafe characters', () => {
    expect(serializeCookie('name', 'a;b c', { secure: false, maxAge: 1 })).toMatch(/^name=a%3Bb%20c;/)
  })

  it('clears both cookies', () => {
    const [session, refresh] = clearingCookies(true)

    expect(session).toMatch(/^__behalf_session=;/)
    expect(session).toContain('Max-Age=0')
    expect(session).toContain('Expires=Thu, 01 Jan 1970 00:00:00 GMT')
    expect(session).toContain('Secure')
    expect(refresh).toMatch(/^__behalf_refresh=;/)
    expect(refresh).toContain('Max-Age=0')
  })
})

describe('readCookie', () => {
  it('finds named cookie', () => {
    expect(readCookie('a=1; __behalf_session=tok; b=2', '__behalf_session')).toBe('tok')
  })

  it('ignores similar names', () => {
    expect(readCookie('x__behalf_session=no; behalf_server_session=no', '__behalf_session')).toBeUndefined()
  })

  it('returns first duplicate', () => {
    expect(readCookie('__behalf_session=first; __behalf_session=second', '__behalf_session')).toBe('first')
  })

  it('decodes and unquotes values', () => {
    expect(readCookie('n=a%3Bb', 'n')).toBe('a;b')
    expect(readCookie('n="quoted"', 'n')).toBe('quoted')
    expect(readCookie('n=%E0%A4%A', 'n')).toBe('%E0%A4%A')
  })

  it('handles missing header', () => {
    expect(readCookie(null, 'n')).toBeUndefined()
    expect(readCookie('', 'n')).toBeUndefined()
  })
})

describe('readBearerToken', () => {
  it('reads bearer scheme', () => {
    expect(readBearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi')
    expect(readBearerToken('bearer abc')).toBe('abc')
  })

  it('ignores other schemes', () => {
    expect(readBearerToken('Basic dXNlcjpwYXNz')).toBeUndefined()
    expect(readBearerToken('Bearer')).toBeUndefined()
    expect(readBearerToken(null)).toBeUndefined()
  })
})

describe('removeQueryParam', () => {
  it('keeps other parameters verbatim', () => {
    const url = new URL('http://app.test/dashboard?a=1%20x&__behalf_handoff=code&b=%2F+y#frag')

    expect(removeQueryParam(url, '__behalf_handoff').href).toBe('http://app.test/dashboard?a=1%20x&b=%2F+y#frag')
  })

  it('removes every occurrence', () => {
    const url = new URL('http://app.test/?__behalf_handoff=1&__behalf_handoff=2')

    expect(removeQueryParam(url, '__behalf_handoff').href).toBe('http://app.test/')
  })

  it('matches encoded names', () => {
    const url = new URL('http://app.test/p?%5F%5Fbehalf_handoff=1&keep=1')

    expect(removeQueryParam(url, '__behalf_handoff').href).toBe('http://app.test/p?keep=1')
  })
})
