import { Link, createFileRoute } from '@tanstack/react-router'
import { createServerFn } from '@tanstack/react-start'

import { appUrl, behalfUrl } from '../config'

const getSignInUrl = createServerFn({ method: 'GET' }).handler(() => {
  return `${behalfUrl}/sign-in?redirect_url=${encodeURIComponent(`${appUrl}/dashboard`)}`
})

export const Route = createFileRoute('/')({
  loader: () => getSignInUrl(),
  component: HomePage,
})

function HomePage() {
  const signInUrl = Route.useLoaderData()
  return (
    <>
      <header>
        <strong>Behalf TanStack Start example</strong>
      </header>
      <p>This app signs people in with Behalf's hosted pages and agents with one-time agent-task links.</p>
      <p>
        <Link to="/dashboard">Open the dashboard</Link> or <a href={signInUrl}>sign in</a>.
      </p>
    </>
  )
}
