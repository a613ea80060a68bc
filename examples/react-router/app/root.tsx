import { behalfMiddleware } from '@behalf/react-router/server'
import type { ReactNode } from 'react'
import { isRouteErrorResponse, Links, Meta, Outlet, Scripts, ScrollRestoration } from 'react-router'

import type { Route } from './+types/root'
import './styles.css'

// Authenticates every server request: completes the handoff after an agent task or a hosted
// sign-in, refreshes expired session tokens and stores the auth state for getAuth(args).
export const middleware: Route.MiddlewareFunction[] = [behalfMiddleware()]

export function Layout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        {children}
        <ScrollRestoration />
        <Scripts />
      </body>
    </html>
  )
}

export default function App() {
  return <Outlet />
}

export function ErrorBoundary({ error }: Route.ErrorBoundaryProps) {
  const title = isRouteErrorResponse(error) ? `${error.status} ${error.statusText}` : 'Something went wrong'
  return (
    <main>
      <h1>{title}</h1>
      {error instanceof Error && import.meta.env.DEV ? <pre>{error.stack}</pre> : null}
    </main>
  )
}
