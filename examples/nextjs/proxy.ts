import { behalfMiddleware } from '@behalf/nextjs/server'

export const proxy = behalfMiddleware()

export const config = {
  // Every route except static assets, so that pages, route handlers and server actions all get
  // the auth state. Next.js reads this value at build time, so it must stay a literal.
  matcher: ['/((?!_next/static|_next/image|favicon.ico).*)'],
}
