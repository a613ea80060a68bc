/**
 * The example apps that the browser tests run against. Each `examples/<name>/e2e/app.json`
 * describes how to start that example's production build:
 *
 * ```json
 * { "port": 3100, "command": ["dist/server.js"], "env": { "HOST": "127.0.0.1" }, "readyPath": "/" }
 * ```
 *
 * `command` is passed to `node`, run from the example's folder; `{port}` in `command` and
 * `env` values becomes the app's port. `PORT`, `BEHALF_SECRET_KEY` and `BEHALF_API_URL` are
 * always set. Ports stay away from `npm start`'s 3000.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export interface ExampleApp {
  /** Playwright project name, also the folder under examples/. */
  name: string
  port: number
  command: string[]
  env: Record<string, string>
  /** Path that responds once the app is ready. */
  readyPath: string
}

interface AppFile {
  port: number
  command: string[]
  env?: Record<string, string>
  readyPath?: string
}

const examplesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'examples')

function portFor(name: string, fallback: number): number {
  const override = process.env[`E2E_${name.toUpperCase().replace(/-/g, '_')}_PORT`]
  return override ? Number(override) : fallback
}

function loadApp(name: string, file: string): ExampleApp {
  const config = JSON.parse(fs.readFileSync(file, 'utf8')) as AppFile
  const port = portFor(name, config.port)
  const fill = (value: string) => value.replaceAll('{port}', String(port))
  return {
    name,
    port,
    command: config.command.map(fill),
    env: Object.fromEntries(Object.entries(config.env ?? {}).map(([key, value]) => [key, fill(value)])),
    readyPath: config.readyPath ?? '/',
  }
}

export const EXAMPLE_APPS: ExampleApp[] = fs
  .readdirSync(examplesDir)
  .sort()
  .map((name) => ({ name, file: path.join(examplesDir, name, 'e2e', 'app.json') }))
  .filter(({ file }) => fs.existsSync(file))
  .map(({ name, file }) => loadApp(name, file))
