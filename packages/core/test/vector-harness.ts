import { execFile } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { createVerifier, loadConfig, TrustedProxyAuthError, type TrustedIdentity, type Verifier } from '../src/index.js'

/** An explicit HTTP answer of a key endpoint. */
export interface ExplicitResponse {
  response: { status: number; contentType?: string; body: string }
}

/** One language-neutral vector (test-vectors/schema/vector-file.schema.json). */
export interface Vector {
  id: string
  description: string
  config: Record<string, string>
  /** A key set, an explicit answer, or (keys published one PEM per kid) an answer per kid. */
  jwks?: { keys: unknown[] } | ExplicitResponse | { pemByKid: Record<string, string | ExplicitResponse> }
  now: number
  token?: string
  request?: { headers: Array<[string, string]>; remoteAddress?: string | null }
  expected: { identity: Record<string, unknown> | null } | { error: { code: string; status: number; detail?: string } }
}

/** What a run produced, in the shape of `expected`. */
export type Outcome = { identity: unknown } | { error: { code: string; status: number; detail?: string } }

export const VECTORS_DIR = join(import.meta.dirname, '..', '..', '..', 'test-vectors')
export const CLI_PATH = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js')
const NON_VECTOR_FILES = new Set(['package.json', 'tsconfig.json'])

/** Every test-vectors/*.json file (by name) with its vectors, in name order. */
export function loadVectorFiles(): Array<{ file: string; vectors: Vector[] }> {
  return readdirSync(VECTORS_DIR)
    .filter((name) => name.endsWith('.json') && !NON_VECTOR_FILES.has(name))
    .sort()
    .map((file) => ({ file, vectors: (JSON.parse(readFileSync(join(VECTORS_DIR, file), 'utf8')) as { vectors: Vector[] }).vectors }))
}

/** Every vector of every test-vectors/*.json file, in file order. */
export function loadVectors(): Vector[] {
  return loadVectorFiles().flatMap(({ vectors }) => vectors)
}

type Served = { keys: unknown[] } | ExplicitResponse | { pem: string }

/**
 * A loopback HTTP server answering each vector's `jwks` at its own path: a key set or explicit answer at
 * `/vectors/<id>/jwks.json`, a `pemByKid` answer at `/vectors/<id>/keys/<kid>` (every other kid: 404).
 */
export class VectorKeyServer {
  private readonly server: Server
  private readonly byPath = new Map<string, Served>()
  private origin = ''

  constructor(vectors: readonly Vector[]) {
    for (const vector of vectors) {
      const jwks = vector.jwks
      if (!jwks) continue
      if ('pemByKid' in jwks) {
        for (const [kid, answer] of Object.entries(jwks.pemByKid)) this.byPath.set(`${this.keysPathOf(vector)}/${kid}`, typeof answer === 'string' ? { pem: answer } : answer)
      } else {
        this.byPath.set(this.pathOf(vector), jwks)
      }
    }
    this.server = createServer((request, response) => {
      const served = this.byPath.get(request.url ?? '')
      if (!served) {
        response.writeHead(404).end()
        return
      }
      if ('keys' in served) {
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(served))
        return
      }
      if ('pem' in served) {
        response.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(served.pem)
        return
      }
      const { status, contentType, body } = served.response
      response.writeHead(status, contentType === undefined ? {} : { 'content-type': contentType }).end(body)
    })
  }

  private pathOf(vector: Vector): string {
    return `/vectors/${vector.id}/jwks.json`
  }

  private keysPathOf(vector: Vector): string {
    return `/vectors/${vector.id}/keys`
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  close(): Promise<void> {
    this.server.closeAllConnections()
    return new Promise((resolve) => this.server.close(() => resolve()))
  }

  /**
   * The vector's configuration; when it serves `jwks` and names no key URL, the URL of this server
   * (for `pemByKid` the `{kid}` template `<base>/{kid}`).
   */
  envFor(vector: Vector): Record<string, string> {
    if (!vector.jwks || vector.config['TRUSTED_PROXY_JWKS_URL'] !== undefined) return { ...vector.config }
    const url = 'pemByKid' in vector.jwks ? `${this.origin}${this.keysPathOf(vector)}/{kid}` : this.origin + this.pathOf(vector)
    return { ...vector.config, TRUSTED_PROXY_JWKS_URL: url }
  }
}

/**
 * How runThroughLibrary runs a vector besides once: `repeat` verifies it twice more on the same verifier
 * (the third a cache hit when it succeeded: the cache takes an assertion in from its second success);
 * `keysInMemory` a second time, with the verified-assertion cache off, so that the
 * second verification finds its keys loaded and imported and takes the path that answers without waiting.
 */
export interface LibraryRun {
  repeat?: boolean
  keysInMemory?: boolean
}

/** Runs a vector through loadConfig + createVerifier + verifyAssertion/verifyRequest. */
export async function runThroughLibrary(vector: Vector, env: Record<string, string>, run: LibraryRun = {}): Promise<Outcome & { raw?: TrustedIdentity | null; hits?: number }> {
  try {
    const verifier = createVerifier(loadConfig(run.keysInMemory ? { ...env, TRUSTED_PROXY_CACHE_SIZE: '0' } : env))
    try {
      if (run.repeat || run.keysInMemory) {
        // The cache takes an assertion in from its second success, so the third verification is the hit.
        const outcomes = []
        for (let i = 0; i < (run.repeat ? 3 : 2); i++) outcomes.push(await outcomeOf(vector, () => verifyOnce(verifier, vector)))
        const texts = outcomes.map((outcome) => JSON.stringify(outcome))
        if (new Set(texts).size !== 1) return { identity: `the repeats differ: ${texts.join(' then ')}` }
        return { ...outcomes.at(-1)!, hits: verifier.cacheCounts().hits }
      }
      if (vector.request) {
        const identity = await verifier.verifyRequest({ headers: vector.request.headers, remoteAddress: vector.request.remoteAddress ?? null }, { now: vector.now })
        return { identity, raw: identity }
      }
      if (vector.token !== undefined) {
        const identity = await verifier.verifyAssertion(vector.token, { now: vector.now })
        return { identity, raw: identity }
      }
      return { identity: 'the configuration loaded, but the vector expects it to be refused' }
    } finally {
      verifier.close()
    }
  } catch (error) {
    if (error instanceof TrustedProxyAuthError) return { error: comparableError(vector, { code: error.code, status: error.status, detail: error.detail }) }
    throw error
  }
}

async function verifyOnce(verifier: Verifier, vector: Vector): Promise<TrustedIdentity | null | string> {
  if (vector.request) return verifier.verifyRequest({ headers: vector.request.headers, remoteAddress: vector.request.remoteAddress ?? null }, { now: vector.now })
  if (vector.token !== undefined) return verifier.verifyAssertion(vector.token, { now: vector.now })
  return 'the configuration loaded, but the vector expects it to be refused'
}

async function outcomeOf(vector: Vector, work: () => Promise<TrustedIdentity | null | string>): Promise<Outcome> {
  try {
    return { identity: await work() }
  } catch (error) {
    if (error instanceof TrustedProxyAuthError) return { error: comparableError(vector, error) }
    throw error
  }
}

/** The error as the vector pins it: `detail` is compared only where the vector gives one. */
type ComparableError = { code: string; status: number; detail?: string }

export function comparableError(vector: Vector, error: { code: string | undefined; status: number | undefined; detail?: string | undefined }): ComparableError {
  const pinsDetail = 'error' in vector.expected && vector.expected.error.detail !== undefined
  const pinned = { code: error.code, status: error.status, ...(pinsDetail ? { detail: error.detail } : {}) }
  return pinned as ComparableError
}

export interface CliOutput {
  ok: boolean
  identity?: unknown
  error?: { code: string; status: number; message: string; detail?: string }
}

export interface CliRun {
  exitCode: number
  output: CliOutput
}

/** The exit code `verify` must return for a vector's expected outcome. */
export function expectedExitCode(vector: Vector): number {
  if ('identity' in vector.expected) return 0
  const { code } = vector.expected.error
  return code === 'invalid_config' ? 2 : code === 'jwks_unavailable' ? 3 : 1
}

/** Command-line arguments of `trusted-proxy-auth verify` for a vector. */
export function cliArguments(vector: Vector): string[] {
  const args = ['verify', '--now', String(vector.now)]
  if (vector.request) {
    for (const [name, value] of vector.request.headers) args.push('--header', `${name}: ${value}`)
    if (vector.request.remoteAddress != null) args.push('--remote-address', vector.request.remoteAddress)
    return args
  }
  // A configuration-only vector is checked as a request, which the CLI loads exactly as an application
  // does (a bare token needs no header setting and may discover keys); loading must fail before it is looked at.
  if (vector.token === undefined) return [...args, '--header', 'X-Placeholder: placeholder-token']
  // After `--` a token that starts with "-" or a space is still the positional TOKEN.
  return [...args, '--', vector.token]
}

/** One `verify --batch` input line for a vector: its configuration, time, and token or request. */
export function batchLine(vector: Vector, env: Record<string, string>): string {
  const target = vector.request
    ? { headers: vector.request.headers, remoteAddress: vector.request.remoteAddress ?? null }
    : { token: vector.token ?? 'placeholder-token' }
  return JSON.stringify({ ...target, now: vector.now, env })
}

function runCliProcess(args: string[], env: Record<string, string>, stdin: string, label: string): Promise<{ exitCode: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [CLI_PATH, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env }, maxBuffer: 1 << 26 }, (error, stdout, stderr) => {
      if (error && typeof (error as { code?: unknown }).code !== 'number') {
        reject(new Error(`${label}: the CLI did not run: ${error.message} ${stderr.slice(0, 200)}`))
        return
      }
      resolve({ exitCode: error ? Number((error as { code?: number }).code) : 0, stdout })
    })
    child.stdin?.end(stdin)
  })
}

/** Runs the built CLI once for one vector, with only the vector's environment (nothing inherited but PATH). */
export async function runThroughCli(vector: Vector, env: Record<string, string>): Promise<CliRun> {
  const { exitCode, stdout } = await runCliProcess(cliArguments(vector), env, '', vector.id)
  try {
    return { exitCode, output: JSON.parse(stdout) as CliOutput }
  } catch {
    throw new Error(`${vector.id}: the CLI printed no JSON (exit ${exitCode}): ${stdout.slice(0, 200)}`)
  }
}

/**
 * Runs every given vector through ONE `verify --batch` process (its environment: PATH only; each line carries
 * the vector's configuration): the process exit code and one output per vector, in order.
 */
export async function runBatchThroughCli(vectors: readonly Vector[], envFor: (vector: Vector) => Record<string, string>, label: string): Promise<{ exitCode: number; outputs: CliOutput[] }> {
  const input = vectors.map((vector) => batchLine(vector, envFor(vector)) + '\n').join('')
  const { exitCode, stdout } = await runCliProcess(['verify', '--batch'], {}, input, label)
  const lines = stdout.split('\n').filter((line) => line !== '')
  if (lines.length !== vectors.length) throw new Error(`${label}: the CLI answered ${lines.length} of ${vectors.length} lines (exit ${exitCode})`)
  return { exitCode, outputs: lines.map((line) => JSON.parse(line) as CliOutput) }
}

/** Runs at most `limit` tasks at once. */
export class Limiter {
  private running = 0
  private readonly waiting: Array<() => void> = []

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve))
    this.running++
    try {
      return await task()
    } finally {
      this.running--
      this.waiting.shift()?.()
    }
  }
}
