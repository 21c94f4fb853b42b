import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { POOL_THRESHOLD, verificationFinished, verificationStarted } from '../src/signature-load.js'
import { forceSignaturePath, signatureWorkerCounts, startSignatureWorkers, stopSignatureWorkers } from '../src/signature-workers.js'
import {
  expectedExitCode,
  Limiter,
  loadVectorFiles,
  runBatchThroughCli,
  runThroughCli,
  runThroughLibrary,
  VectorKeyServer,
  type CliOutput,
  type Vector,
} from './vector-harness.js'

// Every language-neutral vector (test-vectors/*.json) through the library API and through the built CLI.
// The vectors come from the contract, not from this implementation: a failure here means one of them is wrong.

const files = loadVectorFiles()
const vectors = files.flatMap((file) => file.vectors)
const errorMessages = new Map(
  (JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'contract', 'errors.json'), 'utf8')) as { errors: Array<{ code: string; message: string }> }).errors.map(
    (entry) => [entry.code, entry.message],
  ),
)
const server = new VectorKeyServer(vectors)
// Each CLI run is a Node process; two at once keep both cores busy without starving the rest of the run.
const cliSlots = new Limiter(2)

// Every vector of every file through ONE `verify --batch` process (a Node start costs more than verifying a
// whole file), started by whichever test needs it first; each file's test checks its own vectors' lines.
let batchRun: ReturnType<typeof runBatchThroughCli> | undefined
function batchOutputs(): ReturnType<typeof runBatchThroughCli> {
  batchRun ??= runBatchThroughCli(vectors, (vector) => server.envFor(vector), 'test-vectors/*.json')
  return batchRun
}

beforeAll(async () => {
  await server.start()
  // The batch process starts now and uses the other core while the library tests run here; its tests await it.
  batchOutputs().catch(() => undefined)
})
afterAll(() => server.close())

/** What the CLI must print for a vector (the contract's message for a rejection). */
function expectedOutput(vector: Vector): CliOutput | { ok: false; error: { code: string; status: number; message: string | undefined } } {
  if ('identity' in vector.expected) return { ok: true, identity: vector.expected.identity }
  const { code, status, detail } = vector.expected.error
  return { ok: false, error: { code, status, message: errorMessages.get(code), ...(detail === undefined ? {} : { detail }) } }
}

/** The comparable part of a CLI output: everything but the problem list of invalid_config, and the detail where the vector pins one. */
function comparable(output: CliOutput, vector: Vector): CliOutput {
  if (output.ok || !output.error) return output
  const { code, status, message, detail } = output.error
  const pinsDetail = 'error' in vector.expected && vector.expected.error.detail !== undefined
  return { ok: false, error: { code, status, message, ...(pinsDetail ? { detail } : {}) } }
}

it('loads the vector files', () => {
  expect(vectors.length).toBeGreaterThanOrEqual(120)
})

describe('vectors through the library', () => {
  it.each(vectors.map((vector) => [vector.id, vector] as const))('%s', async (_id, vector: Vector) => {
    const { raw, ...outcome } = await runThroughLibrary(vector, server.envFor(vector))
    expect(outcome, vector.description).toEqual(vector.expected)
    // The identity must survive JSON as it is (no functions, undefined or non-finite numbers hiding in it).
    if (raw) expect(JSON.parse(JSON.stringify(raw))).toEqual((vector.expected as { identity: unknown }).identity)
  })

  it('no vector polluted Object.prototype (claims named __proto__ or constructor are data)', () => {
    expect(Object.getOwnPropertyNames(Object.prototype).filter((name) => !['constructor', '__defineGetter__', '__defineSetter__', 'hasOwnProperty', '__lookupGetter__', '__lookupSetter__', 'isPrototypeOf', 'propertyIsEnumerable', 'toString', 'valueOf', '__proto__', 'toLocaleString'].includes(name))).toEqual([])
    expect((({}) as Record<string, unknown>)['isAdmin']).toBeUndefined()
  })
})

describe('vectors through the library: a repeat on the same verifier, and the thread-pool signature path', () => {
  // Every vector twice on one verifier: the second answer (a cache hit after a success) must equal the first.
  // With POOL_THRESHOLD verifications marked in flight, signatures are checked on libuv's thread pool.
  beforeAll(() => forceSignaturePath('threadPool'))
  afterAll(() => forceSignaturePath('auto'))
  it.each(vectors.map((vector) => [vector.id, vector] as const))('%s', async (_id, vector: Vector) => {
    for (let i = 0; i < POOL_THRESHOLD; i++) verificationStarted()
    try {
      const { hits, answeredAtOnce, ...outcome } = await runThroughLibrary(vector, server.envFor(vector), { repeat: true })
      expect(outcome, vector.description).toEqual(vector.expected)
      if ('identity' in vector.expected && vector.expected.identity !== null) expect(hits, 'the repeat was answered from the cache').toBe(1)
      // A request accepted again (from the cache, or null without an assertion) needs no waiting: no promise.
      if (vector.request && 'identity' in vector.expected) expect(answeredAtOnce, 'verifyRequestNow answered without a promise').toBe(true)
    } finally {
      for (let i = 0; i < POOL_THRESHOLD; i++) verificationFinished()
    }
  })
})

// With POOL_THRESHOLD verifications marked in flight, each signature goes to libuv's thread pool, or to a
// signature worker thread (every job left to it, so each verdict is the worker's). Cache off, each vector
// twice: the first verification loads and imports keys (the general path), the second finds them in memory.
describe.each(['threadPool', 'workers'] as const)('vectors through the library, many in flight, signatures on %s: the general path and keys in memory', (path) => {
  // Counts from here on: the counters are the process's, and test files share a worker (isolate: false), so
  // verdicts of earlier files' or describes' bursts (workers started by sustained concurrency) are already in them.
  let before = signatureWorkerCounts()
  beforeAll(async () => {
    if (path === 'workers') expect(await startSignatureWorkers()).toBe(true)
    forceSignaturePath(path)
    before = signatureWorkerCounts()
  })
  afterAll(() => {
    forceSignaturePath('auto')
    stopSignatureWorkers()
  })
  it.each(vectors.map((vector) => [vector.id, vector] as const))('%s', async (_id, vector: Vector) => {
    for (let i = 0; i < POOL_THRESHOLD; i++) verificationStarted()
    try {
      // Many in flight, an answer waits for a thread: whether it came at once is not asked here.
      const { hits: _hits, raw: _raw, answeredAtOnce: _answeredAtOnce, ...outcome } = await runThroughLibrary(vector, server.envFor(vector), { keysInMemory: true })
      expect(outcome, vector.description).toEqual(vector.expected)
    } finally {
      for (let i = 0; i < POOL_THRESHOLD; i++) verificationFinished()
    }
  })
  it(path === 'workers' ? 'the workers gave verdicts, this thread none' : 'no worker gave a verdict', () => {
    const now = signatureWorkerCounts()
    const [main, worker, noKey] = [now.main - before.main, now.worker - before.worker, now.noKey - before.noKey]
    // noKey: verdicts a worker handed back because its key had not reached it (names the cause if main is not 0).
    if (path === 'workers') expect({ workerGaveVerdicts: worker > 0, main, noKey }).toEqual({ workerGaveVerdicts: true, main: 0, noKey: 0 })
    else expect(worker).toBe(0)
  })
})

describe('vectors through the library: keys already in memory, cache off (the path that answers without waiting)', () => {
  it.each(vectors.map((vector) => [vector.id, vector] as const))('%s', async (_id, vector: Vector) => {
    const { hits: _hits, raw: _raw, answeredAtOnce, ...outcome } = await runThroughLibrary(vector, server.envFor(vector), { keysInMemory: true })
    expect(outcome, vector.description).toEqual(vector.expected)
    // HMAC with a shared secret (preset authentik) is verified through jose only, which always answers later.
    const verifiesAtOnce = vector.config['TRUSTED_PROXY_SHARED_SECRET'] === undefined
    if (vector.request && 'identity' in vector.expected && verifiesAtOnce) expect(answeredAtOnce, 'verifyRequestNow answered without a promise').toBe(true)
  })
})

describe('vectors through the CLI, all in one `verify --batch` process', () => {
  it.each(files.map((file) => [file.file, file] as const))('%s', async (_name, file) => {
    const { outputs } = await batchOutputs()
    const first = vectors.indexOf(file.vectors[0]!)
    // One entry per vector, so a failure names each vector that differs.
    expect(file.vectors.map((vector, index) => ({ id: vector.id, output: comparable(outputs[first + index]!, vector) }))).toEqual(
      file.vectors.map((vector) => ({ id: vector.id, output: expectedOutput(vector) })),
    )
  })

  it('exits with the highest exit code of its cases', async () => {
    expect((await batchOutputs()).exitCode).toBe(Math.max(...vectors.map(expectedExitCode)))
  })
})

/**
 * The real single-verification entry point (argv, `--`, `--header`, exit codes) on a few vectors: the first of
 * each kind (token, request or configuration-only) and each exit code. Its output must equal the batch output.
 */
function singleRunSample(): Vector[] {
  const seen = new Set<string>()
  return vectors.filter((vector) => {
    const kind = `${vector.request ? 'request' : vector.token === undefined ? 'config' : 'token'}/${expectedExitCode(vector)}`
    if (seen.has(kind)) return false
    seen.add(kind)
    return true
  })
}

describe.concurrent('vectors through the CLI, one process per verification (a sample)', () => {
  it.each(singleRunSample().map((vector) => [vector.id, vector] as const))('%s', async (_id, vector: Vector) => {
    const { exitCode, output } = await cliSlots.run(() => runThroughCli(vector, server.envFor(vector)))
    expect({ exitCode, output: comparable(output, vector) }, vector.description).toEqual({ exitCode: expectedExitCode(vector), output: expectedOutput(vector) })
    const { outputs } = await batchOutputs()
    expect(output, 'the batch printed the same line').toEqual(outputs[vectors.indexOf(vector)])
  })
})
