import { readFileSync } from 'node:fs'

/** The package version, read from package.json next to `dist/` (and `src/`) so it never drifts from the release. */
export function cliVersion(): string {
  try {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown }
    return typeof manifest.version === 'string' ? manifest.version : 'unknown'
  } catch {
    return 'unknown'
  }
}
