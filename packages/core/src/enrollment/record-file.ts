import type * as NodeFs from 'node:fs'
import { TrustedProxyAuthError, type ConfigProblem } from '../errors.js'
import { LocalFileError, MAX_LOCAL_FILE_BYTES, readLocalTextFile } from '../local-file.js'
import { ENROLLMENT_CONTRACT, ENV_CONTRACT } from '../generated/contract.js'
import type { EnrollmentRecord } from './enrollment-types.js'
import { recordSchemaProblems } from './record-schema.js'

const ENROLLMENT_FILE = 'TRUSTED_PROXY_ENROLLMENT_FILE'
/** contract/enrollment.json `fileMode`. */
const FILE_MODE = Number.parseInt(ENROLLMENT_CONTRACT.fileMode, 8)

type NodeFileSystem = typeof NodeFs

// Looked up lazily (like config.ts) so that the package still loads on fetch runtimes without `node:fs`.
function nodeFs(): NodeFileSystem {
  const fs = globalThis.process?.getBuiltinModule?.('node:fs') as NodeFileSystem | undefined
  if (!fs) throw new TrustedProxyAuthError('invalid_config', { problems: [{ variable: ENROLLMENT_FILE, message: 'cannot be read: no file system' }] })
  return fs
}

const invalid = (problems: ConfigProblem[]): TrustedProxyAuthError => new TrustedProxyAuthError('invalid_config', { problems })

/**
 * The problems of a parsed record: the schema (which also refuses contract/enrollment.json `forbiddenSettings`),
 * then setting names contract/env.json does not know. Values are checked by loadConfig, like every source.
 */
export function enrollmentRecordProblems(record: unknown): ConfigProblem[] {
  const problems = recordSchemaProblems(record)
  if (problems.length > 0) return problems
  const known = new Set<string>(ENV_CONTRACT.variables.map((variable) => variable.name))
  for (const name of Object.keys((record as EnrollmentRecord).settings)) {
    if (!known.has(name)) problems.push({ variable: name, message: 'is not a known setting (in TRUSTED_PROXY_ENROLLMENT_FILE)' })
  }
  return problems
}

function isMissingFile(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ENOENT'
}

/**
 * Reads and validates the enrollment record at `path` (synchronously: loadConfig is synchronous).
 * Returns null when the file does not exist (not enrolled yet). Throws TrustedProxyAuthError `invalid_config`
 * (variable TRUSTED_PROXY_ENROLLMENT_FILE) when it cannot be read (not a regular file: a FIFO or device is never
 * waited on), is over 1 MiB, is not JSON, does not match
 * contract/schema/enrollment-record.schema.json, stores a forbidden setting or names an unknown one.
 */
export function readEnrollmentRecord(path: string): EnrollmentRecord | null {
  let text: string
  try {
    text = readLocalTextFile(nodeFs(), path, MAX_LOCAL_FILE_BYTES)
  } catch (error) {
    if (error instanceof LocalFileError && error.missing) return null
    if (error instanceof TrustedProxyAuthError) throw error
    throw invalid([{ variable: ENROLLMENT_FILE, message: error instanceof LocalFileError ? error.message : 'cannot be read' }])
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw invalid([{ variable: ENROLLMENT_FILE, message: 'is not valid JSON' }])
  }
  const problems = enrollmentRecordProblems(parsed)
  if (problems.length > 0) throw invalid(problems)
  return parsed as EnrollmentRecord
}

/**
 * Writes `record` to `path` atomically (contract/enrollment.json `write`): a temporary file in the same directory
 * created with mode 0600, written, flushed to disk, then renamed over the target; the directory is flushed too
 * where the platform allows. Throws `invalid_config` when the record does not match the schema (nothing is written).
 */
export async function writeEnrollmentRecord(path: string, record: EnrollmentRecord): Promise<void> {
  const problems = enrollmentRecordProblems(record)
  if (problems.length > 0) throw invalid(problems)
  const fs = nodeFs().promises
  const { dirname, basename, join } = await import('node:path')
  const { randomBytes } = await import('node:crypto')
  const directory = dirname(path)
  const temporary = join(directory, `.${basename(path)}.${randomBytes(8).toString('hex')}.tmp`)
  const handle = await fs.open(temporary, 'wx', FILE_MODE)
  let renamed = false
  try {
    // The mode given to open is reduced by the umask; never more than 0600, but set it exactly.
    await handle.chmod(FILE_MODE)
    await handle.writeFile(JSON.stringify(record, null, 2) + '\n', 'utf8')
    await handle.sync()
    await handle.close()
    await fs.rename(temporary, path)
    renamed = true
  } finally {
    if (!renamed) {
      await handle.close().catch(() => undefined)
      await fs.unlink(temporary).catch(() => undefined)
    }
  }
  await syncDirectory(fs, directory)
}

/** Flushes the directory entry of the rename (POSIX); platforms that cannot open a directory skip it. */
async function syncDirectory(fs: NodeFileSystem['promises'], directory: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof fs.open>> | null = null
  try {
    handle = await fs.open(directory, 'r')
    await handle.sync()
  } catch {
    // Windows cannot open a directory for flushing; the rename itself is still atomic.
  } finally {
    await handle?.close().catch(() => undefined)
  }
}

/** Removes the enrollment record at `path`; a missing file is already revoked. */
export async function removeEnrollmentRecord(path: string): Promise<void> {
  try {
    await nodeFs().promises.unlink(path)
  } catch (error) {
    if (!isMissingFile(error)) throw error
  }
}
