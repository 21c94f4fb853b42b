import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { allPages, docsDir } from './markdown.js'

/**
 * The proxy configurations the field tests run (packages/field-tests) live in docs/proxies/examples;
 * a page shows one with a fence like ```nginx file=examples/x.conf. The block must be the file, byte for
 * byte, so what a reader copies is what the tests proved.
 */
const examplesDir = join(docsDir, 'proxies', 'examples')
const shown = allPages().flatMap((page) =>
  page.codeBlocks.flatMap((block) => {
    const flag = block.flags.find((word) => word.startsWith('file='))
    return flag ? [{ page, block, file: join(dirname(page.path), flag.slice('file='.length)) }] : []
  }),
)

describe('example files shown in the docs', () => {
  it('every page block marked file=… is exactly that file', () => {
    expect(shown.length).toBeGreaterThanOrEqual(3)
    const differing = shown.filter(({ block, file }) => `${block.content}\n` !== readFileSync(file, 'utf8'))
    expect(differing.map(({ page, block, file }) => `${page.name}:${block.line} differs from ${relative(docsDir, file)}`)).toEqual([])
  })

  it('every file in docs/proxies/examples is shown on some page', () => {
    const files = readdirSync(examplesDir).map((name) => join(examplesDir, name))
    const unshown = files.filter((file) => !shown.some((entry) => entry.file === file))
    expect(unshown.map((file) => relative(docsDir, file))).toEqual([])
  })
})
