import { addServerHandler, addServerImports, addServerPlugin, addTypeTemplate, createResolver, defineNuxtModule } from '@nuxt/kit'

import type { BehalfRuntimeConfig } from './runtime/server/options.js'

/** Options under the `behalf` key of `nuxt.config`. Each one becomes `runtimeConfig.behalf.<name>`. */
export interface ModuleOptions {
  /**
   * Secret key for the handoff exchange, refresh and Backend API calls. Leave it unset and
   * provide `NUXT_BEHALF_SECRET_KEY` or `BEHALF_SECRET_KEY` at run time instead, because a
   * value given here is written into the server build.
   */
  secretKey?: string
  /** Behalf server URL. Defaults to `NUXT_BEHALF_API_URL`, then `BEHALF_API_URL`, then `http://localhost:4000`. */
  apiUrl?: string
  /** Expected `iss` of session tokens, the server's public URL. Defaults to `apiUrl`. */
  issuer?: string
  /**
   * Origins whose session tokens this app accepts, compared with the `azp` claim. Defaults to
   * the origin of each request URL. An empty array turns the check off.
   */
  authorizedParties?: string[]
  /** PEM public key of the server, to verify session tokens without fetching the JWKS. */
  jwtKey?: string
  /** Hosted sign-in page. Defaults to `${issuer}/sign-in`. */
  signInUrl?: string
}

/**
 * Nuxt module that authenticates every server request with `authenticateRequest` from
 * @behalf/backend and exposes the result as `event.context.auth()`.
 */
export default defineNuxtModule<ModuleOptions>({
  meta: {
    name: '@behalf/nuxt',
    configKey: 'behalf',
    compatibility: { nuxt: '>=4.0.0' },
  },
  defaults: {},
  setup(options, nuxt) {
    const resolver = createResolver(import.meta.url)

    // Empty strings and null are placeholders: Nuxt overrides a runtime config key from its
    // NUXT_BEHALF_* variable only when the key exists, and at run time an empty value falls
    // back to BEHALF_SECRET_KEY and BEHALF_API_URL.
    const defaults: BehalfRuntimeConfig = {
      secretKey: '',
      apiUrl: '',
      issuer: '',
      authorizedParties: null,
      jwtKey: '',
      signInUrl: '',
    }
    const configured = (nuxt.options.runtimeConfig.behalf ?? {}) as Partial<BehalfRuntimeConfig>
    nuxt.options.runtimeConfig.behalf = { ...defaults, ...withoutUndefined(options), ...withoutUndefined(configured) }

    addServerPlugin(resolver.resolve('./runtime/server/plugin.js'))
    addServerHandler({ middleware: true, handler: resolver.resolve('./runtime/server/middleware.js') })
    addServerImports([{ name: 'behalfClient', from: resolver.resolve('./runtime/server/client.js') }])

    // The runtime files import Nitro's `#imports`, which exists only inside the Nitro bundle,
    // so they must be bundled rather than left in node_modules.
    nuxt.options.build.transpile.push(resolver.resolve('./runtime'))

    addTypeTemplate(
      {
        filename: 'types/behalf-nuxt.d.ts',
        getContents: () => `import type { AuthObject } from '@behalf/nuxt/server'

declare module 'h3' {
  interface H3EventContext {
    /** Auth state of this request, set by the @behalf/nuxt server middleware. */
    auth: () => AuthObject
  }
}

export {}
`,
      },
      { nitro: true, nuxt: true },
    )
  },
})

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>
}
