import { Ajv2020 } from 'ajv/dist/2020.js'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { renderContract, renderEnrollmentRecordValidator } from '../scripts/generate-contract.mjs'
import { ERROR_CODES } from '../src/index.js'

const contractDir = join(import.meta.dirname, '..', '..', '..', 'contract')
const readJson = (...parts: string[]): Record<string, unknown> => JSON.parse(readFileSync(join(contractDir, ...parts), 'utf8'))

describe('contract/', () => {
  it('generated TypeScript matches contract/*.json (run `npm run generate` in packages/core when this fails)', () => {
    const committed = readFileSync(join(import.meta.dirname, '..', 'src', 'generated', 'contract.ts'), 'utf8')
    expect(committed).toBe(renderContract())
  })

  it('the generated enrollment record validator matches contract/schema/enrollment-record.schema.json (run `npm run generate`)', () => {
    const committed = readFileSync(join(import.meta.dirname, '..', 'src', 'generated', 'enrollment-record-validator.ts'), 'utf8')
    expect(committed).toBe(renderEnrollmentRecordValidator())
  })

  const schemaFor: Record<string, string> = {
    'env.json': 'env.schema.json',
    'errors.json': 'errors.schema.json',
    'checks.json': 'checks.schema.json',
    'presets.json': 'presets.schema.json',
    'requirements.json': 'requirements.schema.json',
    'doctor.json': 'doctor.schema.json',
    'enrollment.json': 'enrollment.schema.json',
    'enrollment-page.json': 'enrollment-page.schema.json',
  }
  for (const file of readdirSync(contractDir).filter((name) => name in schemaFor)) {
    it(`${file} is valid against schema/${schemaFor[file]}`, () => {
      const ajv = new Ajv2020({ allErrors: true, strict: false })
      const validate = ajv.compile(readJson('schema', schemaFor[file]!))
      const valid = validate(readJson(file))
      expect(validate.errors ?? []).toEqual([])
      expect(valid).toBe(true)
    })
  }

  it('schema/issuers.schema.json accepts the TRUSTED_PROXY_ISSUERS example and agrees with loadConfig on the shape of entries', () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false })
    const validate = ajv.compile(readJson('schema', 'issuers.schema.json'))
    const variable = (readJson('env.json')['variables'] as Array<{ name: string; example: string; allowedValues?: string[] }>).find((v) => v.name === 'TRUSTED_PROXY_ISSUERS')!
    expect(validate(JSON.parse(variable.example))).toBe(true)
    const algorithms = (readJson('env.json')['variables'] as Array<{ name: string; allowedValues?: string[] }>).find((v) => v.name === 'TRUSTED_PROXY_ALGORITHMS')!.allowedValues
    expect((readJson('schema', 'issuers.schema.json')['$defs'] as { algorithm: { enum: string[] } }).algorithm.enum).toEqual(algorithms)
    const keys = { keys: [] }
    for (const refused of [[], [{ issuer: 'https://a' }], [{ issuer: 'https://a', jwks: keys, jwks_file: '/k' }], [{ issuer: 'https://a', jwks: keys, jwksUrl: 'https://k' }], [{ issuer: 'https://a', discovery: false }], [{ issuer: 'https://a', jwks: keys, algorithms: ['HS256'] }], [{ issuer: 'https://a', jwks: keys, clock_tolerance: 601 }]]) {
      expect(validate(refused), JSON.stringify(refused)).toBe(false)
    }
  })

  it('identity.schema.json is a valid JSON Schema 2020-12', () => {
    const ajv = new Ajv2020({ strict: true })
    expect(() => ajv.compile(readJson('identity.schema.json'))).not.toThrow()
  })

  it('schema/enrollment-record.schema.json is a valid JSON Schema 2020-12 whose forbidden settings are enrollment.json\'s', () => {
    const ajv = new Ajv2020({ strict: true })
    const schema = readJson('schema', 'enrollment-record.schema.json')
    expect(() => ajv.compile(schema)).not.toThrow()
    const settings = (schema['properties'] as Record<string, Record<string, unknown>>)['settings']!
    const forbidden = ((settings['propertyNames'] as Record<string, Record<string, unknown>>)['not']!['enum']) as string[]
    expect(forbidden).toEqual(readJson('enrollment.json')['forbiddenSettings'])
    expect((schema['properties'] as Record<string, Record<string, unknown>>)['format']!['const']).toBe(readJson('enrollment.json')['format'])
  })

  it('has exactly the error codes the project promises', () => {
    expect([...ERROR_CODES].sort()).toEqual(
      [
        'missing_assertion', 'malformed_assertion', 'assertion_too_large', 'unsupported_algorithm', 'unknown_key',
        'invalid_signature', 'expired', 'not_yet_valid', 'issuer_mismatch', 'audience_mismatch', 'missing_claim',
        'claim_mismatch', 'untrusted_source', 'missing_required_header', 'forbidden_user', 'jwks_unavailable', 'not_enrolled', 'invalid_config',
      ].sort(),
    )
  })

  it('every code a check stage can produce exists, and every request error belongs to a stage', () => {
    const checks = readJson('checks.json') as { stages: Array<{ codes: string[] }> }
    const staged = new Set(checks.stages.flatMap((stage) => stage.codes))
    for (const code of staged) expect(ERROR_CODES).toContain(code)
    // invalid_config is raised at start-up; not_enrolled before any check runs (contract/enrollment.json).
    const outsideStages = new Set(['invalid_config', readJson('enrollment.json')['notEnrolled'] as { code: string }].map((c) => (typeof c === 'string' ? c : c.code)))
    for (const code of ERROR_CODES.filter((c) => !outsideStages.has(c))) expect(staged.has(code)).toBe(true)
  })

  it('env variable names and option names are unique', () => {
    const env = readJson('env.json') as { variables: Array<{ name: string; option: string }> }
    expect(new Set(env.variables.map((v) => v.name)).size).toBe(env.variables.length)
    expect(new Set(env.variables.map((v) => v.option)).size).toBe(env.variables.length)
  })
})
