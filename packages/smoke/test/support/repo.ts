import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export const repoRoot = join(import.meta.dirname, '..', '..', '..', '..')
export const REPOSITORY = 'https://github.com/mieweb/trusted-proxy-auth'

export interface WorkspacePackage {
  dir: string
  /** Path from the repository root, e.g. `packages/core`. */
  relativeDir: string
  manifest: {
    name: string
    version: string
    private?: boolean
    repository?: { type?: string; url?: string; directory?: string }
    homepage?: string
    bugs?: { url?: string }
    exports?: Record<string, unknown>
  }
}

/** Every npm package under packages/ that is published (not `private`). */
export function publicPackages(): WorkspacePackage[] {
  return readdirSync(join(repoRoot, 'packages'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) => {
      const dir = join(repoRoot, 'packages', entry.name)
      let manifest: WorkspacePackage['manifest']
      try {
        manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as WorkspacePackage['manifest']
      } catch {
        return []
      }
      return manifest.private ? [] : [{ dir, relativeDir: `packages/${entry.name}`, manifest }]
    })
}

/** The version of a dependency installed in the repository, so a temporary project resolves from the npm cache. */
export function installedVersion(name: string): string {
  return (JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version
}
