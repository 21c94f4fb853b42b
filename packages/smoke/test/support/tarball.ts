import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'

/** The files of an npm tarball (ustar, as `npm pack` writes it): path inside `package/` to contents. */
export function tarballFiles(file: string): Map<string, Buffer> {
  const data = gunzipSync(readFileSync(file))
  const files = new Map<string, Buffer>()
  let offset = 0
  while (offset + 512 <= data.length) {
    const header = data.subarray(offset, offset + 512)
    if (header.every((byte) => byte === 0)) break
    const field = (start: number, length: number): string => header.subarray(start, start + length).toString('utf8').replace(/\0.*$/s, '')
    const name = field(0, 100)
    const prefix = field(345, 155)
    const size = Number.parseInt(field(124, 12).trim() || '0', 8)
    const type = field(156, 1)
    const path = (prefix ? `${prefix}/${name}` : name).replace(/^package\//, '')
    if (type === '0' || type === '') files.set(path, data.subarray(offset + 512, offset + 512 + size))
    offset += 512 + Math.ceil(size / 512) * 512
  }
  return files
}
