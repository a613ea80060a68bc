import { describe, expect, it } from 'vitest'

import { relativeRedirectLocation } from '../src/request/redirect-location.js'

describe('relativeRedirectLocation', () => {
  it('keeps path and query', () => {
    expect(relativeRedirectLocation('http://localhost:3000/dashboard?tab=1')).toBe('/dashboard?tab=1')
  })

  it('collapses protocol-relative paths', () => {
    expect(relativeRedirectLocation('http://localhost:3000//evil.example/login')).toBe('/evil.example/login')
  })

  it('collapses many leading slashes', () => {
    expect(relativeRedirectLocation('http://localhost:3000////evil.example')).toBe('/evil.example')
  })

  it('collapses backslash paths', () => {
    expect(relativeRedirectLocation('http://localhost:3000/\\evil.example')).toBe('/evil.example')
  })
})
