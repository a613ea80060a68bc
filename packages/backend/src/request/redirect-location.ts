/**
 * Returns the path and query of `url` as a relative Location for the redirect that follows a
 * handoff. A relative Location keeps the browser on the host it used, whatever Host header came
 * in. Leading slashes and backslashes collapse to one `/`, because a Location of
 * `//evil.example` is protocol-relative and would leave the app.
 */
export function relativeRedirectLocation(url: string | URL): string {
  const target = typeof url === 'string' ? new URL(url) : url
  return `${target.pathname.replace(/^[/\\]+/, '/')}${target.search}`
}
