/**
 * The parts of Node.js's `node:crypto` and `node:buffer` that the synchronous RS256 check uses.
 * They are declared here rather than imported, so that this package names no Node.js module
 * that a bundler for an edge runtime would try to resolve.
 */
export interface NodeCrypto {
  verify(algorithm: string, data: Uint8Array, key: NodeKeyObject, signature: Uint8Array): boolean
  KeyObject: { from(key: CryptoKey): NodeKeyObject }
  Buffer: { from(text: string, encoding: 'base64url' | 'latin1'): NodeBuffer }
}

/** `Buffer` of `node:buffer`, a Uint8Array that decodes to text. */
export interface NodeBuffer extends Uint8Array {
  toString(encoding?: 'utf8'): string
}

/** Opaque `KeyObject` of `node:crypto`. */
export interface NodeKeyObject {
  readonly type: string
}

interface NodeProcess {
  release?: { name?: string }
  getBuiltinModule?: (id: string) => unknown
}

let loaded: NodeCrypto | null | undefined
let disabledForTesting = false

/**
 * Returns `node:crypto` when this code runs on Node.js, or null elsewhere, looked up once.
 *
 * `process.getBuiltinModule` (Node.js 20.16 and 22.3 or later) loads the module synchronously
 * without an `import` that bundlers such as webpack, Vite or esbuild would try to resolve.
 * Older Node.js versions, browsers and edge runtimes get null, and tokens are then verified
 * through jose and WebCrypto.
 */
export function loadNodeCrypto(): NodeCrypto | null {
  if (disabledForTesting) return null
  if (loaded === undefined) loaded = lookUpNodeCrypto()
  return loaded
}

function lookUpNodeCrypto(): NodeCrypto | null {
  const runtime = globalThis as {
    process?: NodeProcess
    Bun?: unknown
    Deno?: unknown
    EdgeRuntime?: unknown
    navigator?: { userAgent?: string }
  }
  // Bun, Deno and Cloudflare Workers (with nodejs_compat) can emulate parts of Node.js,
  // process.release included. Their node:crypto is not tested with this code, so they keep
  // the WebCrypto path, as does the Next.js edge runtime.
  if (runtime.Bun !== undefined || runtime.Deno !== undefined || runtime.EdgeRuntime !== undefined) return null
  if (runtime.navigator?.userAgent === 'Cloudflare-Workers') return null

  const nodeProcess = runtime.process
  if (nodeProcess?.release?.name !== 'node' || typeof nodeProcess.getBuiltinModule !== 'function') return null

  try {
    const crypto = nodeProcess.getBuiltinModule('node:crypto') as Partial<NodeCrypto> | undefined
    const buffer = nodeProcess.getBuiltinModule('node:buffer') as { Buffer?: NodeCrypto['Buffer'] } | undefined
    if (typeof crypto?.verify !== 'function' || typeof crypto.KeyObject?.from !== 'function') return null
    if (typeof buffer?.Buffer?.from !== 'function') return null
    return { verify: crypto.verify, KeyObject: crypto.KeyObject, Buffer: buffer.Buffer }
  } catch {
    return null
  }
}

/** Makes {@link loadNodeCrypto} return null, so that tests can run the WebCrypto path on Node.js. */
export function disableNodeCryptoForTesting(disabled: boolean): void {
  disabledForTesting = disabled
}
