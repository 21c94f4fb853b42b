import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { publicPackages, repoRoot } from './support/repo.js'
import { runOk } from './support/run.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** A temporary directory outside the repository that every test file works in. */
    workDir: string
    /** `npm pack` output of every public package: file names by package name. */
    tarballs: Record<string, string>
    tarballDir: string
  }
}

interface PackResult {
  name: string
  filename: string
}

/** Packs every public package once (one npm process) into a directory outside the repository. */
export default async function setup(project: TestProject): Promise<() => void> {
  const workDir = mkdtempSync(join(tmpdir(), 'trusted-proxy-auth-smoke-'))
  const tarballDir = join(workDir, 'tarballs')
  mkdirSync(tarballDir)
  const workspaces = publicPackages().flatMap((pkg) => ['--workspace', pkg.relativeDir])
  const { stdout } = await runOk('npm', ['pack', '--json', '--silent', '--pack-destination', tarballDir, ...workspaces], { cwd: repoRoot })
  const packed = JSON.parse(stdout) as PackResult[]
  project.provide('workDir', workDir)
  project.provide('tarballDir', tarballDir)
  project.provide('tarballs', Object.fromEntries(packed.map((entry) => [entry.name, join(tarballDir, entry.filename)])))
  return () => rmSync(workDir, { recursive: true, force: true })
}
