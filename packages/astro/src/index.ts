import { writeFileSync } from 'node:fs'

import type { AuthenticateRequestOptions } from '@behalf/backend'
import type { AstroIntegration } from 'astro'

/**
 * Options of the `behalf()` integration: those of `authenticateRequest` except `secretKey`.
 * They are written into the server build, so the secret key comes from `BEHALF_SECRET_KEY`
 * at run time. To pass it in code, use `behalfMiddleware({ secretKey })` in src/middleware.ts.
 */
export type BehalfIntegrationOptions = Omit<AuthenticateRequestOptions, 'secretKey'>

/**
 * Creates the Astro integration that runs Behalf's middleware before the app's own middleware
 * on every on-demand rendered request, and types `context.locals.auth`.
 */
export function behalf(options: BehalfIntegrationOptions = {}): AstroIntegration {
  if ('secretKey' in options) {
    throw new TypeError(
      'behalf() does not take secretKey, because integration options are written into the server build. ' +
        'Set the BEHALF_SECRET_KEY environment variable, or pass secretKey to behalfMiddleware() in src/middleware.ts.',
    )
  }

  return {
    name: '@behalf/astro',
    hooks: {
      'astro:config:setup': ({ addMiddleware, createCodegenDir }) => {
        // Middleware added by an integration is a module, so the options travel as its source.
        const entrypoint = new URL('middleware.mjs', createCodegenDir())
        const source =
          "import { behalfMiddleware } from '@behalf/astro/server'\n\n" +
          `export const onRequest = behalfMiddleware(${JSON.stringify(options)})\n`
        writeFileSync(entrypoint, source)
        addMiddleware({ order: 'pre', entrypoint })
      },
      'astro:config:done': ({ injectTypes, buildOutput, logger }) => {
        injectTypes({ filename: 'types.d.ts', content: '/// <reference types="@behalf/astro/env" />\n' })
        if (buildOutput === 'static') {
          logger.warn(
            'Every page is prerendered, so Behalf authenticates no request. Set `output: "server"` with an adapter, ' +
              'or add `export const prerender = false` to the pages and endpoints that read context.locals.auth().',
          )
        }
      },
    },
  }
}

export default behalf
