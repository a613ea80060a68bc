const WARNING_INTERVAL_MS = 60_000

const lastWarnedAt = new Map<string, number>()
const suppressedCounts = new Map<string, number>()

/**
 * Writes a warning to the console at most once a minute per kind, with the number of repeats
 * suppressed since the last one. Callers pass only messages of this package's errors, which
 * contain no token or key.
 */
export function warnRateLimited(kind: string, message: string): void {
  const now = Date.now()
  const last = lastWarnedAt.get(kind)
  if (last !== undefined && now - last < WARNING_INTERVAL_MS) {
    suppressedCounts.set(kind, (suppressedCounts.get(kind) ?? 0) + 1)
    return
  }

  const suppressed = suppressedCounts.get(kind) ?? 0
  lastWarnedAt.set(kind, now)
  suppressedCounts.delete(kind)
  const repeats = suppressed > 0 ? ` (${suppressed} similar warnings suppressed in the last minute)` : ''
  console.warn(`[@behalf/backend] ${message}${repeats}`)
}
