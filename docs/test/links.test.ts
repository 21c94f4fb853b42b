import { existsSync, statSync } from 'node:fs'
import { dirname, extname, join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { allPages, githubSlug, parseMarkdown, repoRoot } from './markdown.js'

const pages = allPages()
const byPath = new Map(pages.map((page) => [page.path, page]))

function anchorsOf(path: string): Set<string> {
  const page = byPath.get(path) ?? parseMarkdown(path)
  byPath.set(path, page)
  return page.anchors
}

describe('markdown links', () => {
  it('finds the pages it checks', () => {
    expect(pages.length).toBeGreaterThan(20)
    expect(pages.some((page) => page.name === 'README.md')).toBe(true)
  })

  it('computes GitHub heading anchors', () => {
    expect(githubSlug('`missing_assertion`')).toBe('missing_assertion')
    expect(githubSlug('Do not do this')).toBe('do-not-do-this')
    expect(githubSlug('Key rule `kidTemplate`')).toBe('key-rule-kidtemplate')
    expect(githubSlug('Node.js (Express) & Python')).toBe('nodejs-express--python')
  })

  it('no prose contains a raw `<word`, which GitHub would swallow as an HTML tag', () => {
    const swallowed = pages.flatMap((page) =>
      page.prose.split('\n').flatMap((line, index) => (/<(?!a\s|\/a>|!--)[A-Za-z]/.test(line) ? [`${page.name}:${index + 1}: ${line.trim()}`] : [])),
    )
    expect(swallowed).toEqual([])
  })

  for (const page of pages) {
    it(`every relative link and #anchor in ${page.name} resolves`, () => {
      const broken: string[] = []
      for (const link of page.links) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(link.target)) continue // https:, mailto:
        const [pathPart = '', fragment] = link.target.split('#', 2)
        const target = pathPart === '' ? page.path : join(dirname(page.path), decodeURI(pathPart))
        if (!target.startsWith(repoRoot)) {
          broken.push(`line ${link.line}: ${link.target} leaves the repository`)
          continue
        }
        if (!existsSync(target)) {
          broken.push(`line ${link.line}: ${link.target} (no ${relative(repoRoot, target)})`)
          continue
        }
        if (fragment === undefined) continue
        if (statSync(target).isDirectory() || extname(target) !== '.md') {
          broken.push(`line ${link.line}: ${link.target} has an anchor on something that is not a Markdown page`)
          continue
        }
        if (!anchorsOf(target).has(fragment)) broken.push(`line ${link.line}: ${link.target} (no anchor #${fragment})`)
      }
      expect(broken).toEqual([])
    })
  }
})
