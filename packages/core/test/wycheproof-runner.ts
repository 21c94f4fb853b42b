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
import { LastImportedKey, tryCandidates, verifyingCandidateNow, verifyingCandidateSoon } from '../src/key-sources/candidates.js'
import { POOL_THRESHOLD, verificationFinished, verificationStarted } from '../src/signature-load.js'
import { forceSignaturePath, signatureWorkerCounts, startSignatureWorkers, stopSignatureWorkers } from '../src/signature-workers.js'
import { fitsAlgorithm, unusableReason, type PublicJwk } from '../src/key-set.js'

export const REPO_ROOT = join(import.meta.dirname, '..', '..', '..')
/**
 * The Wycheproof checkout (the parent of its testvectors_v1 folder): WYCHEPROOF_DIR; else ../shared/wycheproof when
 * it holds the vectors; else .tools/wycheproof, the pinned copy scripts/install-tools.sh takes from the Go module proxy.
 */
export const WYCHEPROOF_DIR =
  process.env['WYCHEPROOF_DIR'] ||
  [join(REPO_ROOT, '..', 'shared', 'wycheproof'), join(REPO_ROOT, '.tools', 'wycheproof')].find((dir) => existsSync(join(dir, 'testvectors_v1'))) ||
  join(REPO_ROOT, '.tools', 'wycheproof')
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

/**
 * Where the signature is checked: on the calling thread after awaiting the key import (the general path),
 * on libuv's thread pool or on a signature worker thread (many verifications in flight; the general path
 * and, keys imported, verifyingCandidateSoon), or without waiting (keys already imported).
 * A run with node:crypto mocked away (webcrypto-path.test.ts) takes jose's WebCrypto path instead.
 */
export type SignaturePath = 'calling thread' | 'thread pool' | 'worker thread' | 'without waiting'
export const SIGNATURE_PATHS: readonly SignaturePath[] = ['calling thread', 'thread pool', 'worker thread', 'without waiting']

async function signatureOutcome(parsed: ParsedCompactJws, alg: string, candidates: readonly PublicJwk[], path: SignaturePath): Promise<string> {
  if (path === 'calling thread') return tryCandidates(parsed, alg, candidates)
  if (path === 'thread pool' || path === 'worker thread') {
    for (let i = 0; i < POOL_THRESHOLD; i++) verificationStarted()
    try {
      const general = await tryCandidates(parsed, alg, candidates)
      // A candidate whose import failed leaves only the general path.
      const soon = await verifyingCandidateSoon(parsed, alg, candidates)
      return soon === null || soon.outcome === general ? general : `differs: ${general}, then ${soon.outcome}`
    } finally {
      for (let i = 0; i < POOL_THRESHOLD; i++) verificationFinished()
    }
  }
  // The general path imports the keys; a key whose import failed is never answered without waiting.
  const general = await tryCandidates(parsed, alg, candidates)
  return verifyingCandidateNow(parsed, alg, candidates, new LastImportedKey())?.outcome ?? general
}

/** Runs `work` with signatures checked on `path`: a worker thread takes every job, or the thread pool does. */
async function onSignaturePath<T>(path: SignaturePath, work: () => Promise<T>): Promise<T> {
  if (path === 'worker thread' && !(await startSignatureWorkers())) throw new Error('no signature worker could start')
  forceSignaturePath(path === 'worker thread' ? 'workers' : 'threadPool')
  const before = signatureWorkerCounts()
  try {
    const result = await work()
    // Each verdict of the worker run is a worker's; none of the thread-pool run is.
    const after = signatureWorkerCounts()
    const workerVerdicts = after.worker - before.worker
    if (after.main !== before.main || (path === 'worker thread') !== workerVerdicts > 0) throw new Error(`signatures went elsewhere than the ${path}`)
    return result
  } finally {
    forceSignaturePath('auto')
    stopSignatureWorkers()
  }
}

/** Whether the verifier accepts the signature of `jws` with the key set `members` (stages syntax to signature). */
export async function accepts(jws: string, members: readonly PublicJwk[], path: SignaturePath = 'calling thread'): Promise<boolean> {
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
  const parsed: ParsedCompactJws = { protectedHeader: header, payload: {}, signature, segments: [headerSegment, payloadSegment, signatureSegment], signingInput: `${headerSegment}.${payloadSegment}` }
  return (await signatureOutcome(parsed, alg, candidates, path)) === 'verified'
}

export interface WycheproofCase {
  tcId: number
  comment: string
  group: string
  expected: WycheproofTest['result']
  accepted: boolean
}

/**
 * Vectors we decide differently from Wycheproof, on purpose (docs/wycheproof.md has the same table).
 * Groups without a public key (HMAC and AES keys) are not applicable: key sets never use symmetric keys.
 */
export const EXPECTED_DIFFERENCES: Record<WycheproofFile, Record<number, string>> = {
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

/** Every public-key vector of a file with our verdict; groups without a public key (HMAC, AES) are not applicable. */
export async function runWycheproofFile(path: string, signaturePath: SignaturePath = 'calling thread'): Promise<{ cases: WycheproofCase[]; notApplicable: number }> {
  if (signaturePath === 'thread pool' || signaturePath === 'worker thread') return onSignaturePath(signaturePath, () => runWycheproofCases(path, signaturePath))
  return runWycheproofCases(path, signaturePath)
}

async function runWycheproofCases(path: string, signaturePath: SignaturePath): Promise<{ cases: WycheproofCase[]; notApplicable: number }> {
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
      cases.push({ tcId: test.tcId, comment: test.comment, group: group.comment, expected: test.result, accepted: await accepts(test.jws, members, signaturePath) })
    }
  }
  return { cases, notApplicable }
}

/** The cases whose verdict differs from Wycheproof's (an `acceptable` result never differs). */
export function differences(cases: readonly WycheproofCase[]): WycheproofCase[] {
  return cases.filter((entry) => entry.expected !== 'acceptable' && entry.accepted !== (entry.expected === 'valid'))
}
