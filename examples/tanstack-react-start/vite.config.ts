import viteReact from '@vitejs/plugin-react'
import { tanstackStart } from '@tanstack/react-start/plugin/vite'
import { defineConfig } from 'vite'

export default defineConfig({
  // The Start plugin must come before the React plugin.
  plugins: [tanstackStart(), viteReact()],
})
