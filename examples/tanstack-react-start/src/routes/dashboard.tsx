import { useState } from 'react'
import { createFileRoute } from '@tanstack/react-router'
import { createServerFn } from '@tanstack/react-start'
import { auth, behalfClient, redirectToSignIn } from '@behalf/tanstack-react-start/server'

// The server function checks auth itself, because a route guard protects the page, not the endpoint.
const loadDashboard = createServerFn({ method: 'GET' })
  .validator((returnBackPath: string) => returnBackPath)
  .handler(async ({ data: returnBackPath }) => {
    const { isAuthenticated, userId, sessionId, actor } = await auth()
    if (!isAuthenticated) {
      // The request URL of a server function is its own, so the page's path is passed in.
      redirectToSignIn({ returnBackUrl: returnBackPath })
    }

    const user = await behalfClient().users.get(userId)
    return {
      firstName: user.firstName ?? user.username ?? 'there',
      userId,
      sessionId,
      actor: actor === null ? null : { sub: actor.sub, name: actor.name },
    }
  })

export const Route = createFileRoute('/dashboard')({
  loader: ({ location }) => loadDashboard({ data: location.href }),
  component: DashboardPage,
})

function DashboardPage() {
  const { firstName, userId, sessionId, actor } = Route.useLoaderData()
  const [agentTaskUrl, setAgentTaskUrl] = useState('')

  async function createAgentTask() {
    const response = await fetch('/api/example', { method: 'POST' })
    const body = (await response.json()) as { agentTask?: { url: string } }
    setAgentTaskUrl(response.ok && body.agentTask ? body.agentTask.url : JSON.stringify(body))
  }

  return (
    <>
      <header>
        <span>Welcome, {firstName}</span>
        <form method="post" action="/sign-out">
          <button type="submit">Sign out</button>
        </form>
      </header>
      {actor ? (
        <p className="agent" data-testid="actor">
          Signed in by agent <strong>{actor.name ?? actor.sub}</strong> (<code data-testid="actor-id">{actor.sub}</code>) on
          behalf of this user.
        </p>
      ) : (
        <p data-testid="person">Signed in in person.</p>
      )}
      <p>
        User <code data-testid="user-id">{userId}</code>, session <code data-testid="session-id">{sessionId}</code>.
      </p>
      <h2>Hand this session to an agent</h2>
      <p>Creates an agent task on your behalf; its URL signs whoever opens it in as you, once.</p>
      <button id="create-agent-task" type="button" onClick={() => void createAgentTask()}>
        Create agent task
      </button>
      <pre id="agent-task-url" data-testid="agent-task-url">
        {agentTaskUrl}
      </pre>
    </>
  )
}
