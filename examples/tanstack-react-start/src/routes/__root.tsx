import type { ReactNode } from 'react'
import { HeadContent, Outlet, Scripts, createRootRoute } from '@tanstack/react-router'

const styles = `
  body { font-family: system-ui, sans-serif; max-width: 42rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5; }
  header { display: flex; justify-content: space-between; align-items: center; border-bottom: 1px solid #8884; padding-bottom: 1rem; }
  code, pre { background: #8882; padding: .1rem .3rem; border-radius: 4px; overflow-wrap: anywhere; white-space: pre-wrap; }
  button { font: inherit; padding: .4rem .9rem; }
  .agent { background: #fff3bf; color: #5c3c00; padding: .5rem .75rem; border-radius: 6px; }
`

export const Route = createRootRoute({
  head: () => ({
    meta: [
      { charSet: 'utf-8' },
      { name: 'viewport', content: 'width=device-width, initial-scale=1' },
      { title: 'Behalf TanStack Start example' },
    ],
    styles: [{ children: styles }],
  }),
  component: RootComponent,
})

function RootComponent() {
  return (
    <RootDocument>
      <Outlet />
    </RootDocument>
  )
}

function RootDocument({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <head>
        <HeadContent />
      </head>
      <body>
        {children}
        <Scripts />
      </body>
    </html>
  )
}
