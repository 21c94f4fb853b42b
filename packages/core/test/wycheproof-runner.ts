// Runs C2SP/wycheproof's JOSE vectors (json_web_signature_test.json, json_web_key_test.json) through the
// verifier's own stages up to the signature: syntax of the three segments, header policy, key usability
// (contract/checks.json keyUsability), candidate selection and the signature check. The payload is not read
// as claims: Wycheproof signs arbitrary bytes ("foo"), while claim checks are our own later stages.
// The files are not committed (docs/wycheproof.md says how to provide them).
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { decodeCanonicalBase64url, type ParsedCompactJws } from '../src/compact-jws.js'
import { CHECKS_CONTRACT, ENV_CONTRACT } from '../src/generated/contract.js'
import { parseStrictJsonObject } from '../src/json-strict.js'
import { tryCandidates } from '../src/key-sources/candidates.js'
import { fitsAlgorithm, unusableReason, type PublicJwk } from '../src/key-set.js'

export const REPO_ROOT = join(import.meta.dirname, '..', '..', '..')
/** The Wycheproof checkout (or a copy of its testvectors_v1 folder's parent): WYCHEPROOF_DIR, else ../shared/wycheproof. */
export const WYCHEPROOF_DIR = process.env['WYCHEPROOF_DIR'] || join(REPO_ROOT, '..', 'shared', 'wycheproof')
export const WYCHEPROOF_FILES = ['json_web_signature_test.json', 'json_web_key_test.json'] as const
export type WycheproofFile = (typeof WYCHEPROOF_FILES)[number]

interface WycheproofTest {
  tcId: number
  comment: string
  jws: string
  result: 'valid' | 'invalid' | 'acceptable'
}
interface WycheproofGroup {
  comment: string
  public?: PublicJwk | { keys: PublicJwk[] }
  tests: WycheproofTest[]
}

/** Where a file is, or null when it is not there (the test is then skipped with that reason). */
export function wycheproofPath(file: WycheproofFile): string | null {
  const path = join(WYCHEPROOF_DIR, 'testvectors_v1', file)
  return existsSync(path) ? path : null
}

/** TRUSTED_PROXY_ALGORITHMS's default: every asymmetric algorithm the verifier supports. */
const DEFAULT_ALGORITHMS = ENV_CONTRACT.variables.find((variable) => variable.name === 'TRUSTED_PROXY_ALGORITHMS')?.default as readonly string[]
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Whether the verifier accepts the signature of `jws` with the key set `members` (stages syntax to signature). */
export async function accepts(jws: string, members: readonly PublicJwk[]): Promise<boolean> {
  const segments = jws.split('.')
  if (segments.length !== 3) return false
  const [headerSegment, payloadSegment, signatureSegment] = segments as [string, string, string]
  const headerBytes = decodeCanonicalBase64url(headerSegment)
  const signature = decodeCanonicalBase64url(signatureSegment)
  if (!headerBytes || !decodeCanonicalBase64url(payloadSegment) || !signature) return false
  let header: Record<string, unknown> | null
  try {
    const text = utf8.decode(headerBytes)
    header = text.charCodeAt(0) === 0xfeff ? null : parseStrictJsonObject(text, CHECKS_CONTRACT.limits.maxJsonDepth)
  } catch {
    return false
  }
  if (!header) return false
  const { alg, kid } = header
  if (typeof alg !== 'string' || !DEFAULT_ALGORITHMS.includes(alg)) return false
  if ('b64' in header || 'crit' in header || (kid !== undefined && typeof kid !== 'string')) return false
  const candidates = members.filter((member) => unusableReason(member) === null && (kid === undefined || member.kid === kid) && fitsAlgorithm(member, alg))
  const parsed: ParsedCompactJws = { protectedHeader: header, payload: {}, signature, segments: [headerSegment, payloadSegment, signatureSegment] }
  return (await tryCandidates(parsed, alg, candidates)) === 'verified'
}

export interface WycheproofCase {
  tcId: number
  comment: string
  group: string
  expected: WycheproofTest['result']
  accepted: boolean
}

/** Every public-key vector of a file with our verdict; groups without a public key (HMAC, AES) are not applicable. */
export async function runWycheproofFile(path: string): Promise<{ cases: WycheproofCase[]; notApplicable: number }> {
  const { testGroups } = JSON.parse(readFileSync(path, 'utf8')) as { testGroups: WycheproofGroup[] }
  const cases: WycheproofCase[] = []
  let notApplicable = 0
  for (const group of testGroups) {
    if (!group.public) {
      notApplicable += group.tests.length
      continue
    }
    const members = 'keys' in group.public ? (group.public.keys as PublicJwk[]) : [group.public as PublicJwk]
    for (const test of group.tests) {
      cases.push({ tcId: test.tcId, comment: test.comment, group: group.comment, expected: test.result, accepted: await accepts(test.jws, members) })
    }
  }
  return { cases, notApplicable }
}

/** The cases whose verdict differs from Wycheproof's (an `acceptable` result never differs). */
export function differences(cases: readonly WycheproofCase[]): WycheproofCase[] {
  return cases.filter((entry) => entry.expected !== 'acceptable' && entry.accepted !== (entry.expected === 'valid'))
}
