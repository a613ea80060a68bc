/** HTML for the example's pages. Every interpolated value goes through `escapeHtml`. */

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${escapeHtml(title)} · Behalf Hono example</title>
    <style>
      body { font-family: system-ui, sans-serif; max-width: 42rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5; }
      header { display: flex; justify-content: space-between; align-items: center; border-bottom: 1px solid #8884; padding-bottom: 1rem; }
      code, pre { background: #8882; padding: .1rem .3rem; border-radius: 4px; overflow-wrap: anywhere; white-space: pre-wrap; }
      button { font: inherit; padding: .4rem .9rem; }
      .agent { background: #fff3bf; color: #5c3c00; padding: .5rem .75rem; border-radius: 6px; }
    </style>
  </head>
  <body>${body}</body>
</html>`
}

export function homePage(signInUrl: string): string {
  return page(
    'Home',
    `<header><strong>Behalf Hono example</strong></header>
    <p>This app signs people in with Behalf's hosted pages and agents with one-time agent-task links.</p>
    <p><a href="/dashboard">Open the dashboard</a> or <a href="${escapeHtml(signInUrl)}">sign in</a>.</p>`,
  )
}

export interface DashboardView {
  firstName: string
  userId: string
  sessionId: string
  actor: { sub: string; name: string | null } | null
}

export function dashboardPage(view: DashboardView): string {
  const actor = view.actor
    ? `<p class="agent" data-testid="actor">Signed in by agent <strong>${escapeHtml(view.actor.name ?? view.actor.sub)}</strong>
        (<code data-testid="actor-id">${escapeHtml(view.actor.sub)}</code>) on behalf of this user.</p>`
    : `<p data-testid="person">Signed in in person.</p>`

  return page(
    'Dashboard',
    `<header>
      <span>Welcome, ${escapeHtml(view.firstName)}</span>
      <form method="post" action="/sign-out"><button type="submit">Sign out</button></form>
    </header>
    ${actor}
    <p>User <code data-testid="user-id">${escapeHtml(view.userId)}</code>, session <code data-testid="session-id">${escapeHtml(view.sessionId)}</code>.</p>
    <h2>Hand this session to an agent</h2>
    <p>Creates an agent task on your behalf; its URL signs whoever opens it in as you, once.</p>
    <button id="create-agent-task" type="button">Create agent task</button>
    <pre id="agent-task-url" data-testid="agent-task-url"></pre>
    <script type="module">
      document.getElementById('create-agent-task').addEventListener('click', async () => {
        const response = await fetch('/createAgentTask', { method: 'POST' })
        const body = await response.json()
        document.getElementById('agent-task-url').textContent = response.ok ? body.url : JSON.stringify(body)
      })
    </script>`,
  )
}
