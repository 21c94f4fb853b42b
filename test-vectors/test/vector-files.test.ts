import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv2020 } from 'ajv/dist/2020.js'
import * as ajvFormats from 'ajv-formats'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildVectorFiles, readCommittedVectorFiles } from '../generator/lib/build.mjs'

const root = join(import.meta.dirname, '..')
const readJson = (path: string): unknown => JSON.parse(readFileSync(join(root, path), 'utf8'))

interface Vector {
  id: string
  config: Record<string, string>
  jwks?: { keys?: Array<Record<string, unknown>> }
  token?: string
  request?: unknown
  expected: { identity?: Record<string, unknown> | null; error?: { code: string; status: number } }
}

const committed = readCommittedVectorFiles()
const files = [...committed].map(([name, text]) => ({ name, vectors: (JSON.parse(text) as { vectors: Vector[] }).vectors }))
const vectors = files.flatMap((file) => file.vectors)
const errorCodes = (readJson('../contract/errors.json') as { errors: Array<{ code: string; status: number }> }).errors

function vectorFileValidator() {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, strictTypes: false })
  // ajv-formats is CommonJS: under Node's ESM interop the plugin is the default export.
  const addFormats = (ajvFormats as unknown as { default: (instance: Ajv2020) => void }).default
  addFormats(ajv)
  // The vector schema refers to the identity schema by relative path; register it under that reference.
  const { $id: _publishedId, ...identity } = readJson('../contract/identity.schema.json') as Record<string, unknown>
  ajv.addSchema(identity, '../../contract/identity.schema.json')
  return ajv.compile(readJson('schema/vector-file.schema.json') as object)
}

describe('vector files', () => {
  const validate = vectorFileValidator()

  it.each(files.map((file) => file.name))('%s validates against schema/vector-file.schema.json', (name) => {
    const valid = validate(JSON.parse(committed.get(name) ?? ''))
    expect(validate.errors ?? []).toEqual([])
    expect(valid).toBe(true)
  })

  it('the schema really checks identities (a vector missing identity.claims is refused)', () => {
    const accepted = vectors.find((vector) => vector.expected.identity)
    const { claims: _claims, ...partial } = accepted?.expected.identity ?? {}
    expect(validate({ description: 'x', vectors: [{ ...accepted, expected: { identity: partial } }] })).toBe(false)
  })

  it('ids are unique and start with their file stem', () => {
    const ids = vectors.map((vector) => vector.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const file of files) for (const vector of file.vectors) expect(vector.id.startsWith(`${file.name.replace(/\.json$/, '')}/`)).toBe(true)
  })

  it('there are at least 120 vectors', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(120)
  })

  it('every error code of contract/errors.json is expected somewhere, with its contract status', () => {
    const seen = new Map(vectors.flatMap((vector) => (vector.expected.error ? [[vector.expected.error.code, vector.expected.error.status] as const] : [])))
    // not_enrolled answers before any assertion is read (contract/enrollment.json): the enrollment tests pin it.
    const notEnrolled = (readJson('../contract/enrollment.json') as { notEnrolled: { code: string } }).notEnrolled.code
    for (const { code, status } of errorCodes.filter((entry) => entry.code !== notEnrolled)) {
      expect(seen.has(code), code).toBe(true)
      expect(seen.get(code), code).toBe(status)
    }
    for (const vector of vectors) {
      const error = vector.expected.error
      if (error) expect(errorCodes.find((entry) => entry.code === error.code)?.status, vector.id).toBe(error.status)
    }
  })

  it('every default algorithm has an accepted vector', () => {
    for (const alg of ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']) {
      const vector = vectors.find((candidate) => candidate.id === `algorithms/valid-${alg.toLowerCase()}`)
      expect(vector?.expected.identity, alg).toBeTruthy()
      const header = JSON.parse(Buffer.from(vector?.token?.split('.')[0] ?? '', 'base64url').toString('utf8')) as { alg: string }
      expect(header.alg).toBe(alg)
    }
  })

  it('configurations are string maps of TRUSTED_PROXY_* variables', () => {
    for (const vector of vectors) for (const value of Object.values(vector.config)) expect(typeof value, vector.id).toBe('string')
  })
})

describe('generator', () => {
  let regenerated: Map<string, string>

  beforeAll(async () => {
    regenerated = (await buildVectorFiles(committed)).files
  })

  it('regenerating in memory gives the committed files byte for byte', () => {
    expect([...regenerated.keys()].sort()).toEqual([...committed.keys()].sort())
    for (const [name, text] of regenerated) expect(text === committed.get(name), `${name} is stale: run npm run generate`).toBe(true)
  })
})

describe('test keys', () => {
  const keyFiles = readdirSync(join(root, 'keys')).filter((name) => name.endsWith('.json'))
  const keys = keyFiles.map((name) => ({ name, jwk: readJson(join('keys', name)) as Record<string, string> }))

  it('are named test-* and hold private JWKs whose kid is the file name', () => {
    expect(keys.length).toBeGreaterThanOrEqual(10)
    for (const { name, jwk } of keys) {
      expect(name).toMatch(/^test-[a-z0-9-]+\.json$/)
      expect(jwk['kid']).toBe(name.replace(/\.json$/, ''))
      expect(typeof jwk['d']).toBe('string')
    }
  })

  it('attacker keys are never published in a vector key set', () => {
    const attackerMaterial = keys.filter(({ name }) => name.startsWith('test-attacker-')).map(({ jwk }) => jwk['n'] ?? jwk['x'])
    expect(attackerMaterial.length).toBeGreaterThanOrEqual(3)
    for (const vector of vectors) {
      for (const member of vector.jwks?.keys ?? []) expect(attackerMaterial.includes((member['n'] ?? member['x']) as string), vector.id).toBe(false)
    }
  })
})
