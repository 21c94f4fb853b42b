import type * as NodeSignature from '../src/node-signature.js'
import { afterAll, beforeAll, describe, expect, it, test, vi } from 'vitest'
import { loadVectors, runThroughLibrary, VectorKeyServer, type Vector } from './vector-harness.js'
import { differences, EXPECTED_DIFFERENCES, runWycheproofFile, wycheproofPath, WYCHEPROOF_DIR, type WycheproofFile } from './wycheproof-runner.js'

// Runtimes without node:crypto (Hono on workers, Deno) verify with jose on WebCrypto. Here node:crypto's key
// conversion answers "not available", so every signature in this file takes that path: the vectors and the
// Wycheproof cases must give the same verdicts as through node:crypto (vectors.test.ts, wycheproof.test.ts).
vi.mock('../src/node-signature.js', async (importOriginal) => ({ ...(await importOriginal<typeof NodeSignature>()), toNodeKey: () => null }))

const vectors = loadVectors()
const server = new VectorKeyServer(vectors)
beforeAll(() => server.start())
afterAll(() => server.close())

describe('vectors through the library, signatures checked by jose on WebCrypto', () => {
  it.each(vectors.map((vector) => [vector.id, vector] as const))('%s', async (_id, vector: Vector) => {
    const { raw: _raw, ...outcome } = await runThroughLibrary(vector, server.envFor(vector))
    expect(outcome, vector.description).toEqual(vector.expected)
  })
})

describe.each(Object.keys(EXPECTED_DIFFERENCES) as WycheproofFile[])('Wycheproof %s, signatures checked by jose on WebCrypto', (file) => {
  const path = wycheproofPath(file)
  test.skipIf(path === null)(`the same verdicts as through node:crypto (files from ${WYCHEPROOF_DIR}; absent: skipped, see docs/wycheproof.md)`, async () => {
    const { cases } = await runWycheproofFile(path ?? '')
    expect(differences(cases).map((entry) => entry.tcId)).toEqual(Object.keys(EXPECTED_DIFFERENCES[file]).map(Number))
  })
})
