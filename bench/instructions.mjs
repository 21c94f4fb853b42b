// Instructions per verification, counted by valgrind's callgrind: ours against the floor, in figures the host's
// speed does not move (wall-clock cells of one code moved by up to 0.26 between runs on this kind of machine).
// Markdown on stdout. Needs valgrind (apt-get install valgrind); without it, says so and stops.
//   node instructions.mjs (or npm run bench -- --instructions)
//   BENCH_ALGS (default RS256), BENCH_WARM (default 4000): verifications run before the measured ones,
//   BENCH_MEASURED (default 4000): the measured ones; BENCH_SMOKE=1: each contender natively, 40 verifications
//   (only proves the contenders work; no callgrind)
// Method: each contender runs twice under callgrind, WARM and WARM + MEASURED verifications, in a process of
// its own (node --single-threaded: V8 compiles on the main thread, so every instruction is counted, and the
// same way each time); the difference divided by MEASURED is the steady cost of one verification. Split by
// callgrind_annotate into the signature (OpenSSL's libcrypto), V8's optimising compiler (work that tails off
// with a longer warm-up), and the rest: JavaScript, V8's builtins and runtime, Node and libc (allocations),
// what our code adds to the floor's (a process's random hash seed, found at start-up, is left out). Repeatable
// to a few hundred instructions.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BENCH_AUDIENCE, BENCH_ISSUER, distinctAssertions } from './bench-issuer.mjs'

const SMOKE = process.env.BENCH_SMOKE === '1'
const ALGORITHMS = (process.env.BENCH_ALGS ?? 'RS256').split(',')
const WARM = Number(process.env.BENCH_WARM ?? (SMOKE ? 20 : 4000))
const MEASURED = Number(process.env.BENCH_MEASURED ?? (SMOKE ? 20 : 4000))
const CONTENDERS = ['floor', 'ours', 'ours-cache-off', 'ours-hit']
const child = fileURLToPath(new URL('./instructions-child.mjs', import.meta.url))

console.log('## Instructions per verification (callgrind)\n')
const hasValgrind = spawnSync('valgrind', ['--version']).status === 0

/** Symbols of OpenSSL (the signature) and of V8's optimising compiler, told apart from the rest. */
const SIGNATURE = /libcrypto|\b(bn_|BN_|ecp_|ec_|EC_|x25519|ed25519|ossl_|OPENSSL_|EVP_|evp_|RSA_|rsa_|sha256_|sha512_|SHA|CRYPTO_|ERR_|OBJ_|ASN1_|asn1_|EVP)/
const COMPILER = /compiler::|Zone|Turbofan|TurboFan|maglev|Maglev|baseline::|Sparkplug|RegisterAllocator|InstructionSelector|LiveRange/
/** A process's random hash seed (a prime search of varying length when an isolate starts): left out, not part of a verification. */
const START_UP = /HashSeed|sprp/

/** Instructions of one run, by part: signature, compiler and the rest. */
function countRun(env, outFile) {
  // --initial-old-space-size: no full collection falls inside one run's window and not the other's (one costs
  // thousands of instructions per verification spread over the window); young ones scale with the garbage made.
  const run = spawnSync('valgrind', ['--tool=callgrind', `--callgrind-out-file=${outFile}`, process.execPath, '--single-threaded', '--initial-old-space-size=1024', child], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  })
  if (run.status !== 0) throw new Error(`callgrind run failed (${env.CONTENDER}, ${env.COUNT}): ${run.stderr.slice(-2000)}`)
  const annotated = execFileSync('callgrind_annotate', ['--threshold=100', outFile], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  const parts = { signature: 0, compiler: 0, rest: 0 }
  for (const line of annotated.split('\n')) {
    const match = /^\s*([\d,]+)\s+\([\s\d.]+%\)\s+(.*)$/.exec(line)
    if (!match || match[2].includes('PROGRAM TOTALS') || START_UP.test(match[2])) continue
    const count = Number(match[1].replaceAll(',', ''))
    if (SIGNATURE.test(match[2])) parts.signature += count
    else if (COMPILER.test(match[2])) parts.compiler += count
    else parts.rest += count
  }
  return parts
}

async function assertionsFor(alg, count) {
  const { jwk, assertions } = await distinctAssertions(alg, count)
  return { alg, jwk, issuer: BENCH_ISSUER, audience: BENCH_AUDIENCE, assertions }
}

const directory = mkdtempSync(join(tmpdir(), 'bench-instructions-'))
// A smoke run (part of npm test) runs every contender natively, in seconds, to prove that each verifies: under
// callgrind a run takes minutes.
if (!hasValgrind || SMOKE) {
  if (!hasValgrind) console.log('valgrind is not installed here: instruction counts need it (apt-get install valgrind).')
  if (SMOKE) {
    const file = join(directory, 'assertions.json')
    writeFileSync(file, JSON.stringify(await assertionsFor('ES256', WARM + MEASURED)))
    for (const contender of CONTENDERS) {
      const run = spawnSync(process.execPath, [child], { env: { ...process.env, ASSERTIONS_FILE: file, CONTENDER: contender, COUNT: String(WARM + MEASURED) }, encoding: 'utf8' })
      if (run.status !== 0) throw new Error(`${contender} failed natively: ${run.stderr.slice(-2000)}`)
      console.log(`natively: ${run.stdout.trim()}`)
    }
  }
  rmSync(directory, { recursive: true, force: true })
  process.exit(0)
}
console.log(`node ${process.version}, ${WARM} verifications before the ${MEASURED} measured, each contender in its own process under callgrind\n`)
try {
  for (const alg of ALGORITHMS) {
    const file = join(directory, `${alg}.json`)
    // As many as the longer run verifies: ours with its cache then never meets an assertion twice.
    writeFileSync(file, JSON.stringify(await assertionsFor(alg, WARM + MEASURED)))
    const rows = []
    for (const contender of CONTENDERS) {
      const env = { ASSERTIONS_FILE: file, CONTENDER: contender }
      const before = countRun({ ...env, COUNT: String(WARM) }, join(directory, 'before.out'))
      const after = countRun({ ...env, COUNT: String(WARM + MEASURED) }, join(directory, 'after.out'))
      const per = (part) => Math.round((after[part] - before[part]) / MEASURED)
      rows.push({ contender, signature: per('signature'), compiler: per('compiler'), rest: per('rest') })
    }
    const floorRest = rows[0].rest
    console.log(`### ${alg}\n`)
    console.log('| contender | signature (OpenSSL) | JavaScript, runtime, allocations | − the floor\'s | optimising compiler |')
    console.log('|---|---|---|---|---|')
    for (const row of rows) {
      // A hit verifies no signature: set against the floor's parsing and checks, it would only say "less".
      const hit = row.contender === 'ours-hit'
      const name = hit ? 'ours, a cache hit (`verifyRequestNow`, rawHeaders)' : row.contender
      console.log(`| ${name} | ${row.signature} | ${row.rest} | ${hit ? '—' : row.rest - floorRest} | ${row.compiler} |`)
    }
    console.log('')
  }
} finally {
  rmSync(directory, { recursive: true, force: true })
}
