import type { JWTPayload } from 'jose'

/**
 * Least-recently-used map from a key source and a token string to the claims of that token,
 * whose signature was verified. A hit skips the signature check, never the claim checks.
 */
export class VerifiedClaimsCache {
  readonly #entries = new Map<string, JWTPayload>()
  readonly #maxEntries: number

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries
  }

  get size(): number {
    return this.#entries.size
  }

  get(key: string): JWTPayload | undefined {
    const claims = this.#entries.get(key)
    if (claims !== undefined) {
      // Map iteration follows insertion order, so re-inserting marks the entry as most recent.
      this.#entries.delete(key)
      this.#entries.set(key, claims)
    }
    return claims
  }

  set(key: string, claims: JWTPayload): void {
    this.#entries.delete(key)
    this.#entries.set(key, claims)
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next()
      if (oldest.done === true) break
      this.#entries.delete(oldest.value)
    }
  }

  delete(key: string): void {
    this.#entries.delete(key)
  }

  clear(): void {
    this.#entries.clear()
  }
}
