import { behalfClient, requireAuth } from '@behalf/react-router/server'
import { useState } from 'react'

import type { Route } from './+types/dashboard'

export function meta() {
  return [{ title: 'Dashboard · Behalf React Router example' }]
}

export async function loader(args: Route.LoaderArgs) {
  // Signed-out visitors go to the hosted sign-in page, which sends them back here signed in.
  const { userId, sessionId, actor } = await requireAuth(args)
  const user = await behalfClient(args).users.get(userId)
  return { firstName: user.firstName ?? user.username ?? 'there', userId, sessionId, actor }
}

export default function Dashboard({ loaderData }: Route.ComponentProps) {
  const { firstName, userId, sessionId, actor } = loaderData
  const [agentTaskResult, setAgentTaskResult] = useState('')

  async function createAgentTask() {
    const response = await fetch('/api/example', { method: 'POST' })
    const body = await response.json()
    setAgentTaskResult(response.ok ? body.agentTask.url : JSON.stringify(body))
  }

  return (
    <>
      <header>
        <span>Welcome, {firstName}</span>
        {/* A plain form posts to the sign-out action with a full page load. */}
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
      <button type="button" onClick={createAgentTask}>
        Create agent task
      </button>
      <pre data-testid="agent-task-url">{agentTaskResult}</pre>
    </>
  )
}
