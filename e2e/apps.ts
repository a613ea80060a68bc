/**
 * The example apps that the browser tests run against. Each has its own port, away from
 * `npm start`'s 3000, and is started by the global setup only when its Playwright project
 * is selected (all of them when no `--project` is given).
 */
export interface ExampleApp {
  /** Playwright project name, also the folder under examples/. */
  name: string
  port: number
  /** Arguments to `node`, run from the example's folder, that start the production build. */
  command: (port: number) => string[]
  /** Extra environment for the app. `PORT`, `BEHALF_SECRET_KEY` and `BEHALF_API_URL` are always set. */
  env?: (port: number) => Record<string, string>
  /** Path that answers once the app is ready. */
  readyPath: string
}

export const EXAMPLE_APPS: ExampleApp[] = [
  { name: 'express', port: 3100, command: () => ['dist/server.js'], readyPath: '/' },
]

export function appPort(name: string): number {
  const app = EXAMPLE_APPS.find((candidate) => candidate.name === name)
  if (!app) throw new Error(`No example app named ${name} in e2e/apps.ts`)
  const override = process.env[`E2E_${name.toUpperCase().replace(/-/g, '_')}_PORT`]
  return override ? Number(override) : app.port
}
