import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'

export const docsDir = join(import.meta.dirname, '..')
export const repoRoot = join(docsDir, '..')
export const contractDir = join(repoRoot, 'contract')

export function readJson<T = Record<string, unknown>>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T
}

export interface CodeBlock {
  /** First word of the info string (`ts`, `json`, `python`, `sh`, ...), lower-cased. */
  lang: string
  /** Words after the language, e.g. `fragment`. */
  flags: string[]
  content: string
  /** 1-based line of the opening fence. */
  line: number
}

export interface MarkdownLink {
  target: string
  line: number
}

export interface MarkdownPage {
  /** Path relative to the repository root, for messages. */
  name: string
  path: string
  text: string
  /** The text with fenced code blocks and inline code spans blanked out. */
  prose: string
  codeBlocks: CodeBlock[]
  links: MarkdownLink[]
  /** Every fragment a link may point at: heading slugs and explicit HTML ids. */
  anchors: Set<string>
  headings: string[]
}

/** docs/**\/*.md (without node_modules) and the repository README. */
export function markdownFiles(): string[] {
  const found: string[] = [join(repoRoot, 'README.md')]
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.name.endsWith('.md')) found.push(path)
    }
  }
  walk(docsDir)
  return found.sort()
}

/**
 * GitHub's heading anchors: the rendered text lower-cased, punctuation other than `-` and `_` removed,
 * each space turned into `-`; repeated slugs get `-1`, `-2`, ...
 */
export function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .trim()
    .toLowerCase()
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-')
}

function blankInlineCode(line: string): string {
  return line.replace(/(`+)([\s\S]*?)\1/g, (match) => ' '.repeat(match.length))
}

export function parseMarkdown(path: string): MarkdownPage {
  const text = readFileSync(path, 'utf8')
  const lines = text.split('\n')
  const codeBlocks: CodeBlock[] = []
  const proseLines: string[] = []
  const headings: string[] = []
  const anchors = new Set<string>()
  const slugCounts = new Map<string, number>()
  let open: { fence: string; lang: string; flags: string[]; line: number; body: string[] } | null = null

  lines.forEach((line, index) => {
    const fence = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(line)
    if (open) {
      if (fence && fence[2]!.startsWith(open.fence) && fence[3]!.trim() === '') {
        codeBlocks.push({ lang: open.lang, flags: open.flags, content: open.body.join('\n'), line: open.line })
        open = null
      } else {
        open.body.push(line)
      }
      proseLines.push('')
      return
    }
    if (fence) {
      const [lang = '', ...flags] = fence[3]!.trim().split(/\s+/).filter(Boolean)
      open = { fence: fence[2]!, lang: lang.toLowerCase(), flags, line: index + 1, body: [] }
      proseLines.push('')
      return
    }
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)
    if (heading) {
      headings.push(heading[1]!)
      const base = githubSlug(heading[1]!)
      const seen = slugCounts.get(base) ?? 0
      anchors.add(seen === 0 ? base : `${base}-${seen}`)
      slugCounts.set(base, seen + 1)
    }
    for (const match of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1]!)
    proseLines.push(blankInlineCode(line))
  })
  if (open) throw new Error(`${path}: unclosed code fence opened on line ${(open as { line: number }).line}`)

  const links: MarkdownLink[] = []
  proseLines.forEach((line, index) => {
    for (const match of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ target: match[1]!, line: index + 1 })
  })

  return {
    name: relative(repoRoot, path),
    path,
    text,
    prose: proseLines.join('\n'),
    codeBlocks,
    links,
    anchors,
    headings,
  }
}

let pagesCache: MarkdownPage[] | null = null
let readmeCache: MarkdownPage[] | null = null

/** The README of every package (`packages/<name>/README.md`): published to the registries, so its examples are tested too. */
export function packageReadmes(): MarkdownPage[] {
  const packagesDir = join(repoRoot, 'packages')
  readmeCache ??= readdirSync(packagesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(packagesDir, entry.name, 'README.md'))
    .filter((path) => existsSync(path))
    .sort()
    .map(parseMarkdown)
  return readmeCache
}
export function allPages(): MarkdownPage[] {
  pagesCache ??= markdownFiles().map(parseMarkdown)
  return pagesCache
}
