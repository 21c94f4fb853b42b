import { spawn, type ChildProcess } from 'node:child_process'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createVerifierFromEnv, isTrustedProxyAuthError, loadConfig, readEnrollmentRecord } from '../src/index.js'

/**
 * Every local file the library reads (TRUSTED_PROXY_CONFIG_FILE, TRUSTED_PROXY_ENROLLMENT_FILE,
 * TRUSTED_PROXY_JWKS_FILE) is read only when it is a regular file of bounded size: a FIFO would block the
 * (synchronous) read, and so the whole event loop, until a writer comes; a device such as /dev/zero never ends.
 * A FIFO here gets a writer (so the old code, which waited for one, reads it and the test fails rather than hangs).
 */
const records = JSON.parse(readFileSync(new URL('../../../test-vectors/enrollment/records.json', import.meta.url), 'utf8')) as { records: Array<{ record: unknown; configLoads: boolean }> }
const RECORD = JSON.stringify(records.records.find((item) => item.configLoads)!.record)

let directory: string
const writers: ChildProcess[] = []

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'tpa-local-files-'))
})

afterEach(() => {
  for (const writer of writers.splice(0)) writer.kill('SIGKILL')
  rmSync(directory, { recursive: true, force: true })
})

/** A FIFO whose writer offers `content` once a reader opens it (it waits for none when nothing reads). */
function fifoOffering(content: string): string {
  const path = join(directory, 'fifo')
  execFileSync('mkfifo', [path])
  writers.push(spawn('sh', ['-c', 'printf "%s" "$1" > "$2"', 'sh', content, path], { stdio: 'ignore' }))
  return path
}

function problemsOf(run: () => unknown): string[] {
  try {
    run()
  } catch (error) {
    if (isTrustedProxyAuthError(error)) return (error.problems ?? []).map((problem) => `${problem.variable} ${problem.message}`)
    throw error
  }
  return []
}

describe.skipIf(process.platform === 'win32')('local files are regular files of bounded size', () => {
  it('the enrollment record: a FIFO, a symlink to /dev/zero or a file over 1 MiB is refused, not read', () => {
    expect(problemsOf(() => readEnrollmentRecord(fifoOffering(RECORD)))).toEqual(['TRUSTED_PROXY_ENROLLMENT_FILE cannot be read'])
    const zero = join(directory, 'zero.json')
    symlinkSync('/dev/zero', zero)
    expect(problemsOf(() => readEnrollmentRecord(zero))).toEqual(['TRUSTED_PROXY_ENROLLMENT_FILE cannot be read'])
    const large = join(directory, 'large.json')
    writeFileSync(large, RECORD.replace('{', `{"padding":"${'x'.repeat(1024 * 1024)}",`))
    expect(problemsOf(() => readEnrollmentRecord(large))).toEqual(['TRUSTED_PROXY_ENROLLMENT_FILE larger than 1048576 bytes'])
    expect(readEnrollmentRecord(join(directory, 'absent.json'))).toBeNull()
  })

  it('the configuration file: a FIFO is refused, not read', () => {
    const fifo = fifoOffering(JSON.stringify({ TRUSTED_PROXY_ASSERTION_HEADER: 'X-A', TRUSTED_PROXY_ISSUER: 'https://i.example', TRUSTED_PROXY_AUDIENCE: 'a', TRUSTED_PROXY_JWKS_URL: 'https://i.example/jwks.json' }))
    expect(problemsOf(() => loadConfig({ TRUSTED_PROXY_CONFIG_FILE: fifo }))).toContain('TRUSTED_PROXY_CONFIG_FILE cannot be read as a JSON file')
  })

  it('the key set file: a symlink to /dev/zero is unavailable at once', async () => {
    const zero = join(directory, 'jwks.json')
    symlinkSync('/dev/zero', zero)
    const verifier = createVerifierFromEnv({ assertionHeader: 'X-A', issuer: 'https://i.example', audience: 'a' }, { TRUSTED_PROXY_JWKS_FILE: zero }, { logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} } })
    try {
      await expect(verifier.ready()).rejects.toMatchObject({ code: 'jwks_unavailable', detail: `key file "${zero}": cannot be read` })
    } finally {
      verifier.close()
    }
  })
})
