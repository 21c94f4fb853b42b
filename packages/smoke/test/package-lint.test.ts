import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { checkPackage, createPackageFromTarballData } from '@arethetypeswrong/core'
import { publint } from 'publint'
import { formatMessage } from 'publint/utils'
import { describe, expect, inject, it } from 'vitest'
import { publicPackages, repoRoot, REPOSITORY } from './support/repo.js'
import { tarballFiles } from './support/tarball.js'

const license = readFileSync(join(repoRoot, 'LICENSE'))
const packages = publicPackages()

/** Links in Markdown prose: `[text](target)`. */
function markdownLinks(markdown: string): string[] {
  return [...markdown.replace(/```[\s\S]*?```/g, '').matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!)
}

describe.each(packages.map((pkg) => [pkg.manifest.name, pkg] as const))('%s tarball', (name, pkg) => {
  const tarball = (): string => inject('tarballs')[name]!

  it('passes publint --strict', async () => {
    const data = readFileSync(tarball())
    const { messages, pkg: manifest } = await publint({ pack: { tarball: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer }, strict: true })
    expect(messages.map((message) => `${message.type}: ${formatMessage(message, manifest)}`)).toEqual([])
  })

  it('passes arethetypeswrong on every subpath (node10, node16 CJS and ESM, bundler)', async () => {
    const result = await checkPackage(createPackageFromTarballData(new Uint8Array(readFileSync(tarball()))))
    expect(result.types).not.toBe(false)
    if (!result.types) return
    const subpaths = Object.keys(pkg.manifest.exports ?? {}).filter((subpath) => subpath !== './package.json')
    expect(Object.keys(result.entrypoints)).toEqual(expect.arrayContaining(subpaths))
    expect(result.problems).toEqual([])
  })

  it('ships the MIT LICENSE, provenance metadata and a README with absolute links', () => {
    const files = tarballFiles(tarball())
    expect(files.get('LICENSE')?.equals(license)).toBe(true)
    const manifest = JSON.parse(files.get('package.json')!.toString('utf8')) as typeof pkg.manifest & { license: string }
    expect(manifest.license).toBe('MIT')
    // npm refuses a provenance publish unless repository.url matches the repository that built it.
    expect(manifest.repository).toEqual({ type: 'git', url: `git+${REPOSITORY}.git`, directory: pkg.relativeDir })
    expect(manifest.homepage).toBe(`${REPOSITORY}/tree/main/${pkg.relativeDir}#readme`)
    expect(manifest.bugs).toEqual({ url: `${REPOSITORY}/issues` })
    const relative = markdownLinks(files.get('README.md')!.toString('utf8')).filter((target) => !/^(https:|mailto:|#)/.test(target))
    expect(relative).toEqual([])
    expect([...files.keys()].filter((path) => path.endsWith('.map'))).toEqual([])
  })
})

it('every absolute link from a package README into this repository names a file that exists', () => {
  const prefix = new RegExp(`^${REPOSITORY}/(?:blob|tree)/main/([^#]*)`)
  const dangling = [...packages.map((pkg) => pkg.dir), join(repoRoot, 'packages', 'python')].flatMap((dir) =>
    markdownLinks(readFileSync(join(dir, 'README.md'), 'utf8')).flatMap((target) => {
      const path = prefix.exec(target)?.[1]
      if (path === undefined) return []
      try {
        readFileSync(join(repoRoot, path))
        return []
      } catch (error) {
        return (error as NodeJS.ErrnoException).code === 'EISDIR' ? [] : [target]
      }
    }),
  )
  expect(dangling).toEqual([])
})

it('the core package stays small: the CLI shares the library chunk and no source maps ship', () => {
  const files = tarballFiles(inject('tarballs')['@mieweb/trusted-proxy-auth']!)
  const unpacked = [...files.values()].reduce((sum, content) => sum + content.length, 0)
  expect([...files.keys()].filter((name) => name.endsWith('.map'))).toEqual([])
  // 1.2 MB once (maps with sources, a CLI bundle with its own copy of the library); 0.42 MB after that fix,
  // about 1.0 MB with doctor, the cache, several issuers, local key sets and enrollment (its page, the record's
  // compiled schema), each in ESM and CJS with .d.ts. The bound catches a second copy of the library.
  expect(unpacked).toBeLessThan(1_200_000)
  // The command line itself (verify, enroll, serve's loader; doctor is a chunk loaded on use) is about 32 KB;
  // a second copy of the library would add well over 200 KB.
  expect(files.get('dist/cli/main.js')!.length).toBeLessThan(48_000)
  expect(files.get('dist/cli/main.js')!.toString()).not.toContain('keyUsability')
})
