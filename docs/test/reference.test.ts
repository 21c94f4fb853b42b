import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { renderReferencePages } from '../scripts/generate-reference.mjs'
import { contractDir, docsDir, parseMarkdown, readJson } from './markdown.js'

const pages = renderReferencePages()

describe('generated reference pages', () => {
  for (const [path, rendered] of Object.entries(pages)) {
    it(`docs/${path} matches contract/ (run \`npm run generate -w @mieweb/trusted-proxy-auth-docs\` when this fails)`, () => {
      expect(readFileSync(join(docsDir, path), 'utf8')).toBe(rendered)
    })
  }

  it('the generator --check mode agrees', () => {
    expect(() => execFileSync(process.execPath, [join(docsDir, 'scripts', 'generate-reference.mjs'), '--check'], { stdio: 'pipe' })).not.toThrow()
  })

  it('every error code has the anchor its problem `type` URL points at', () => {
    const errors = readJson<{ problemTypeBase: string; errors: Array<{ code: string }> }>(join(contractDir, 'errors.json'))
    expect(errors.problemTypeBase.endsWith('/docs/reference/errors.md#')).toBe(true)
    const anchors = parseMarkdown(join(docsDir, 'reference', 'errors.md')).anchors
    for (const { code } of errors.errors) expect(anchors, code).toContain(code)
  })

  it('every variable, stage and preset has its own section', () => {
    const env = readJson<{ variables: Array<{ name: string }> }>(join(contractDir, 'env.json'))
    const configuration = parseMarkdown(join(docsDir, 'reference', 'configuration.md')).anchors
    for (const { name } of env.variables) expect(configuration, name).toContain(name.toLowerCase())

    const checks = readJson<{ stages: Array<{ stage: string }> }>(join(contractDir, 'checks.json'))
    const checkAnchors = parseMarkdown(join(docsDir, 'reference', 'checks.md')).anchors
    for (const { stage } of checks.stages) expect(checkAnchors, stage).toContain(stage)

    const presets = readJson<{ presets: Record<string, unknown>; quirks: Record<string, unknown> }>(join(contractDir, 'presets.json'))
    const presetAnchors = parseMarkdown(join(docsDir, 'reference', 'presets.md')).anchors
    for (const name of Object.keys(presets.presets)) expect(presetAnchors, name).toContain(name)
    for (const name of Object.keys(presets.quirks)) expect(presetAnchors, name).toContain(`quirk-${name.toLowerCase()}`)
  })
})
