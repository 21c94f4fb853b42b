import { describe, expect, test } from 'vitest'
import { differences, EXPECTED_DIFFERENCES, runWycheproofFile, SIGNATURE_PATHS, wycheproofPath, WYCHEPROOF_DIR, type WycheproofFile } from './wycheproof-runner.js'

describe.each(Object.keys(EXPECTED_DIFFERENCES) as WycheproofFile[])('Wycheproof %s', (file) => {
  const path = wycheproofPath(file)
  test.skipIf(path === null).each(SIGNATURE_PATHS)(`signature checked %s: every public-key vector gives Wycheproof's result except the expected differences (files from ${WYCHEPROOF_DIR}; absent: skipped, see docs/wycheproof.md)`, async (signaturePath) => {
    const { cases } = await runWycheproofFile(path ?? '', signaturePath)
    expect(cases.length).toBeGreaterThan(0)
    const differing = Object.fromEntries(differences(cases).map((entry) => [entry.tcId, `${entry.group}: ${entry.comment}`]))
    expect(Object.keys(differing).map(Number).sort((a, b) => a - b)).toEqual(Object.keys(EXPECTED_DIFFERENCES[file]).map(Number))
  })
})
