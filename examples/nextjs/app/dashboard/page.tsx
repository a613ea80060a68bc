import { auth, behalfClient } from '@behalf/nextjs/server'
import { redirect } from 'next/navigation'

import { appUrl } from '../config'
import { signOutAction } from './actions'
import { CreateAgentTask } from './create-agent-task'

const behalfUrl = process.env.BEHALF_API_URL ?? 'http://localhost:4000'

export default async function DashboardPage() {
  const { isAuthenticated, userId, sessionId, actor } = await auth()
  if (!isAuthenticated) {
    // The hosted sign-in page checks redirect_url against the server's allow-list.
    redirect(`${behalfUrl}/sign-in?redirect_url=${encodeURIComponent(`${appUrl}/dashboard`)}`)
  }

  const client = await behalfClient()
  const user = await client.users.get(userId)
  const firstName = user.firstName ?? user.username ?? 'there'

  return (
    <>
      <header>
        <span>Welcome, {firstName}</span>
        <form action={signOutAction}>
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
      <p>Creates an agent task on your behalf. Its URL signs whoever opens it in as you, once.</p>
      <CreateAgentTask />
    </>
  )
}
