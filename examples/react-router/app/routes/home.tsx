import { Link } from 'react-router'

import { appUrl, behalfUrl } from '../config.server'
import type { Route } from './+types/home'

export function meta() {
  return [{ title: 'Behalf React Router example' }]
}

export function loader() {
  return { signInUrl: `${behalfUrl}/sign-in?redirect_url=${encodeURIComponent(`${appUrl}/dashboard`)}` }
}

export default function Home({ loaderData }: Route.ComponentProps) {
  return (
    <>
      <header>
        <strong>Behalf React Router example</strong>
      </header>
      <p>This app signs people in with Behalf's hosted pages and agents with one-time agent-task links.</p>
      <p>
        <Link to="/dashboard">Open the dashboard</Link> or <a href={loaderData.signInUrl}>sign in</a>.
      </p>
    </>
  )
}
