import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { comparableError, Limiter, loadVectors, runThroughCli, runThroughLibrary, VectorKeyServer, type Vector } from './vector-harness.js'

// Every language-neutral vector (test-vectors/*.json) through the library API and through the built CLI.
// The vectors come from the contract, not from this implementation: a failure here means one of them is wrong.

const vectors = loadVectors()
const errorMessages = new Map(
  (JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'contract', 'errors.json'), 'utf8')) as { errors: Array<{ code: string; message: string }> }).errors.map(
    (entry) => [entry.code, entry.message],
  ),
)
const server = new VectorKeyServer(vectors)
// Each CLI run is a fresh Node process; a few at once keep the cores busy without starving the rest.
const cliSlots = new Limiter(Math.min(8, Math.max(2, availableParallelism())))

beforeAll(() => server.start())
afterAll(() => server.close())

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

describe.concurrent('vectors through the CLI', () => {
  it.each(vectors.map((vector) => [vector.id, vector] as const))('%s', async (_id, vector: Vector) => {
    const { exitCode, output } = await cliSlots.run(() => runThroughCli(vector, server.envFor(vector)))
    if ('identity' in vector.expected) {
      expect({ exitCode, output }, vector.description).toEqual({ exitCode: 0, output: { ok: true, identity: vector.expected.identity } })
      return
    }
    const { code } = vector.expected.error
    expect({ exitCode, ok: output.ok, error: comparableError(vector, { code: output.error?.code, status: output.error?.status, detail: output.error?.detail }) }, vector.description).toEqual({
      exitCode: code === 'invalid_config' ? 2 : 1,
      ok: false,
      error: vector.expected.error,
    })
    expect(output.error?.message).toBe(errorMessages.get(code))
  })
})
