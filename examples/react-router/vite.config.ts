import { reactRouter } from '@react-router/dev/vite'

// NOTE: a plain object instead of `defineConfig` from 'vite'. In this monorepo @react-router/dev
// is hoisted to the root node_modules and runs the root's Vite, whose types differ from the Vite
// version that this folder resolves, so importing 'vite' here fails the type check.
export default {
  plugins: [reactRouter()],
}
