import node from '@astrojs/node'
import { defineConfig } from 'astro/config'

export default defineConfig({
  output: 'server',
  adapter: node({ mode: 'standalone' }),
  security: {
    // The Node adapter uses the Host header only for these hosts, and otherwise builds request
    // URLs as http://localhost/… without the port. Behalf needs the origin the browser used,
    // for the handoff exchange, the token's authorized party and the sign-in redirect_url.
    // In production list the app's public hostname here.
    allowedDomains: [{ hostname: 'localhost' }, { hostname: '127.0.0.1' }],
    // Astro's CSRF check stays on: it rejects cross-site form posts, and a POST that has
    // neither Origin nor Content-Type (browsers always send Origin on a POST).
    checkOrigin: true,
  },
})
