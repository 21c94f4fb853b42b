// Record validation parity: every record of test-vectors/enrollment/records.json gets the verdicts written there
// (the Python package reads the same file in tests/test_enrollment_record_parity.py).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig, TrustedProxyAuthError } from '../src/index.js'
import { recordSchemaProblems } from '../src/enrollment/record-schema.js'

interface RecordCase {
  name: string
  record: unknown
  schemaValid: boolean
  configLoads: boolean
}

const FIXTURE = new URL('../../../test-vectors/enrollment/records.json', import.meta.url)
const CASES = (JSON.parse(readFileSync(FIXTURE, 'utf8')) as { records: RecordCase[] }).records
const directory = mkdtempSync(join(tmpdir(), 'tpa-record-parity-'))
afterAll(() => rmSync(directory, { recursive: true, force: true }))

describe('enrollment record verdicts match the shared fixture', () => {
  it.each(CASES.map((entry, index) => [entry.name, entry, index] as const))('%s', (_name, entry, index) => {
    expect(recordSchemaProblems(entry.record).length === 0).toBe(entry.schemaValid)
    const path = join(directory, `record-${index}.json`)
    writeFileSync(path, JSON.stringify(entry.record))
    let loads = true
    try {
      loadConfig({ TRUSTED_PROXY_ENROLLMENT_FILE: path })
    } catch (error) {
      expect(error).toBeInstanceOf(TrustedProxyAuthError)
      expect((error as TrustedProxyAuthError).code).toBe('invalid_config')
      loads = false
    }
    expect(loads).toBe(entry.configLoads)
  })
})
