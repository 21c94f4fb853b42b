import { describe, expect, test } from 'vitest'
import { differences, runWycheproofFile, wycheproofPath, WYCHEPROOF_DIR, type WycheproofFile } from './wycheproof-runner.js'

/**
 * Vectors we decide differently from Wycheproof, on purpose (docs/wycheproof.md has the same table).
 * Groups without a public key (HMAC and AES keys) are not applicable: key sets never use symmetric keys.
 */
const EXPECTED_DIFFERENCES: Record<WycheproofFile, Record<number, string>> = {
  'json_web_signature_test.json': {
    259: 'empty payload: the syntax stage wants three non-empty segments',
    264: 'empty payload',
    268: 'empty payload',
    272: 'empty payload',
    320: 'empty payload',
    325: 'empty payload',
    346: 'the key declares alg PS256, the token PS384: a member whose alg differs from the token\'s is not a candidate (RFC 7517 §4.4)',
    347: 'the key declares alg "ES521" (not a registered algorithm), the token ES512: not a candidate',
    350: 'as 346, with key_ops',
    351: 'as 347, with key_ops',
  },
  'json_web_key_test.json': {},
}

describe.each(Object.keys(EXPECTED_DIFFERENCES) as WycheproofFile[])('Wycheproof %s', (file) => {
  const path = wycheproofPath(file)
  test.skipIf(path === null)(`every public-key vector gives Wycheproof's result except the expected differences (files from ${WYCHEPROOF_DIR}; absent: skipped, see docs/wycheproof.md)`, async () => {
    const { cases } = await runWycheproofFile(path ?? '')
    expect(cases.length).toBeGreaterThan(0)
    const differing = Object.fromEntries(differences(cases).map((entry) => [entry.tcId, `${entry.group}: ${entry.comment}`]))
    expect(Object.keys(differing).map(Number).sort((a, b) => a - b)).toEqual(Object.keys(EXPECTED_DIFFERENCES[file]).map(Number))
  })
})
