import type * as NodeFs from 'node:fs'

/** The most a configuration file or enrollment record may hold (bytes); a key set file has MAX_KEY_SET_BYTES. */
export const MAX_LOCAL_FILE_BYTES = 1024 * 1024

const CHUNK_BYTES = 64 * 1024

/** Why a local file could not be read; `message` is the non-secret cause (`not found`, `cannot be read`, `larger than N bytes`). */
export class LocalFileError extends Error {
  constructor(readonly missing: boolean, message: string) {
    super(message)
    this.name = 'LocalFileError'
  }
}

/**
 * The text (UTF-8) of the regular file at `path`, at most `maxBytes` long. Opened without blocking and checked
 * on the open descriptor, so a FIFO, a device (a symlink to /dev/zero), a directory or a file swapped between a
 * check and the read is refused instead of hanging the process or filling its memory; at most `maxBytes + 1`
 * bytes are ever read. Synchronous, like the configuration loading that calls it.
 * @throws LocalFileError `not found` (missing: true), `cannot be read` (not a regular file, no permission, I/O
 * error) or `larger than <maxBytes> bytes`.
 */
export function readLocalTextFile(fs: typeof NodeFs, path: string, maxBytes: number): string {
  let descriptor: number
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer. Absent on Windows (0 there).
    descriptor = fs.openSync(path, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0))
  } catch (error) {
    const missing = (error as { code?: unknown } | null)?.code === 'ENOENT'
    throw new LocalFileError(missing, missing ? 'not found' : 'cannot be read')
  }
  try {
    let regular: boolean
    try {
      regular = fs.fstatSync(descriptor).isFile()
    } catch {
      regular = false
    }
    if (!regular) throw new LocalFileError(false, 'cannot be read')
    const chunks: Uint8Array[] = []
    let total = 0
    for (;;) {
      const chunk = new Uint8Array(Math.min(CHUNK_BYTES, maxBytes + 1 - total))
      let count: number
      try {
        count = fs.readSync(descriptor, chunk, 0, chunk.length, null)
      } catch {
        throw new LocalFileError(false, 'cannot be read')
      }
      if (count === 0) break
      chunks.push(chunk.subarray(0, count))
      total += count
      if (total > maxBytes) throw new LocalFileError(false, `larger than ${maxBytes} bytes`)
    }
    const bytes = new Uint8Array(total)
    let offset = 0
    for (const chunk of chunks) {
      bytes.set(chunk, offset)
      offset += chunk.length
    }
    // ignoreBOM: a byte order mark stays, as readFileSync kept it (the key set reader drops it itself).
    return new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes)
  } finally {
    fs.closeSync(descriptor)
  }
}
