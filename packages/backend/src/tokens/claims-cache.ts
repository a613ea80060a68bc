import type { JWTPayload } from 'jose'

/**
 * Least-recently-used map from a key source and a token string to the claims of that token,
 * whose signature was verified. A hit skips the signature check, never the claim checks.
 */
export class VerifiedClaimsCache {
  readonly #entries = new Map<string, JWTPayload>()
  readonly #maxEntries: number
  // Most recently used key, whose entry is already last in the map, so a repeated hit skips
  // moving it.
  #newestKey: string | undefined
  // Iterator over the keys, oldest first, kept between evictions. A new iterator would start
  // at the front of V8's hash table and step over every slot that earlier deletions emptied,
  // which made each eviction slower than a signature check once the cache was full.
  #evictionCursor: Iterator<string> | undefined

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries
  }

  get size(): number {
    return this.#entries.size
  }

  get(key: string): JWTPayload | undefined {
    const claims = this.#entries.get(key)
    if (claims !== undefined && key !== this.#newestKey) {
      // Map iteration follows insertion order, so re-inserting marks the entry as most recent.
      this.#entries.delete(key)
      this.#entries.set(key, claims)
      this.#newestKey = key
    }
    return claims
  }

  set(key: string, claims: JWTPayload): void {
    this.#entries.delete(key)
    this.#entries.set(key, claims)
    this.#newestKey = key
    while (this.#entries.size > this.#maxEntries) this.#evictOldest()
  }

  delete(key: string): void {
    this.#entries.delete(key)
    if (key === this.#newestKey) this.#newestKey = undefined
  }

  clear(): void {
    this.#entries.clear()
    this.#newestKey = undefined
    this.#evictionCursor = undefined
  }

  // A Map iterator yields entries added after it was created and skips deleted ones, and every
  // key before the cursor was evicted or moved to the end, so the next key is the oldest.
  #evictOldest(): void {
    this.#evictionCursor ??= this.#entries.keys()
    let oldest = this.#evictionCursor.next()
    if (oldest.done === true) {
      this.#evictionCursor = this.#entries.keys()
      oldest = this.#evictionCursor.next()
      if (oldest.done === true) return
    }
    this.delete(oldest.value)
  }
}
