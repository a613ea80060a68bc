// Nitro provides `#imports` as a virtual module inside its bundle. This declares the part of it
// that the runtime files use, so that tsc can compile them outside a Nuxt project.
declare module '#imports' {
  import type { H3Event } from 'h3'

  export function useRuntimeConfig(event?: H3Event): Record<string, unknown>

  export function defineNitroPlugin<NitroApp>(plugin: (nitroApp: NitroApp) => void): (nitroApp: NitroApp) => void
}
