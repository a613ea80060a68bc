import { html, raw } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'

type Html = HtmlEscapedString | Promise<HtmlEscapedString>

const STYLES = `
  :root { color-scheme: light dark; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
  body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: Canvas; color: CanvasText; }
  main { width: min(24rem, 100vw - 2rem); padding: 2rem; border: 1px solid #8884; border-radius: 12px; }
  h1 { font-size: 1.35rem; margin: 0 0 .5rem; }
  p { line-height: 1.5; }
  label { display: block; margin: 1rem 0 .25rem; font-weight: 600; font-size: .9rem; }
  input { width: 100%; box-sizing: border-box; padding: .6rem; font: inherit; border: 1px solid #8888; border-radius: 8px; }
  button { margin-top: 1.25rem; width: 100%; padding: .7rem; font: inherit; font-weight: 600; border: 0; border-radius: 8px; background: #3b5bdb; color: white; cursor: pointer; }
  .error { color: #c92a2a; background: #c92a2a14; padding: .6rem .75rem; border-radius: 8px; }
  .code { font-family: ui-monospace, monospace; font-size: .85rem; opacity: .75; }
  .footer { margin-top: 1.25rem; font-size: .9rem; }
`

/** Wraps page content in the shared document; every value passed through `html` is escaped. */
export function layout(title: string, content: Html): Html {
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="robots" content="noindex" />
    <title>${title} · Behalf</title>
    <style>${raw(STYLES)}</style>
  </head>
  <body>
    <main>${content}</main>
  </body>
</html>`
}

/** Headers for every HTML page: not cached, not framed, no referrer that could carry a ticket, no scripts. */
export const PAGE_SECURITY_HEADERS: Record<string, string> = {
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
}

export function messagePage(title: string, message: string, code: string): Html {
  return layout(
    title,
    html`<h1>${title}</h1>
      <p>${message}</p>
      <p class="code">Error code: <span data-testid="error-code">${code}</span></p>`,
  )
}
