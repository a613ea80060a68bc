import type { ReactNode } from 'react'

export const metadata = { title: 'Behalf Next.js example' }

const styles = `
  body { font-family: system-ui, sans-serif; max-width: 42rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5; }
  header { display: flex; justify-content: space-between; align-items: center; border-bottom: 1px solid #8884; padding-bottom: 1rem; }
  code, pre { background: #8882; padding: .1rem .3rem; border-radius: 4px; overflow-wrap: anywhere; white-space: pre-wrap; }
  button { font: inherit; padding: .4rem .9rem; }
  .agent { background: #fff3bf; color: #5c3c00; padding: .5rem .75rem; border-radius: 6px; }
`

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <head>
        <style>{styles}</style>
      </head>
      <body>{children}</body>
    </html>
  )
}
