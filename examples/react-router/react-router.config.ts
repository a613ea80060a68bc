import type { Config } from '@react-router/dev/config'

export default {
  ssr: true,
  future: {
    // Route middleware runs Behalf's authentication once per request, before any loader or action.
    v8_middleware: true,
  },
} satisfies Config
