import { loadConfig } from '@mieweb/trusted-proxy-auth'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { load as loadYaml, loadAll as loadAllYaml } from 'js-yaml'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { allPages, contractDir, docsDir, packageReadmes, readJson, type CodeBlock, type MarkdownPage } from './markdown.js'

interface Located {
  page: MarkdownPage
  block: CodeBlock
}

// The guide, the root README and every package README (what npm and PyPI show).
const pages = [...allPages(), ...packageReadmes()]
const blocks: Located[] = pages.flatMap((page) => page.codeBlocks.map((block) => ({ page, block })))
const where = ({ page, block }: Located): string => `${page.name}:${block.line}`
const ofLang = (...langs: string[]): Located[] => blocks.filter(({ block }) => langs.includes(block.lang))

/** Languages a block may be written in; anything else is probably a typo in the fence. */
const KNOWN_LANGS = ['', 'ts', 'json', 'python', 'sh', 'yaml', 'nginx', 'caddyfile', 'text', 'http', 'toml']

describe('code blocks', () => {
  it('use a known language tag', () => {
    const unknown = blocks.filter(({ block }) => !KNOWN_LANGS.includes(block.lang)).map((located) => `${where(located)} ${located.block.lang}`)
    expect(unknown).toEqual([])
  })

  it('every ```json block parses', () => {
    const failures: string[] = []
    for (const located of ofLang('json')) {
      try {
        JSON.parse(located.block.content)
      } catch (error) {
        failures.push(`${where(located)}: ${(error as Error).message}`)
      }
    }
    expect(ofLang('json').length).toBeGreaterThan(5)
    expect(failures).toEqual([])
  })

  it('every ```yaml block parses', () => {
    const failures: string[] = []
    for (const located of ofLang('yaml')) {
      try {
        loadAllYaml(located.block.content)
      } catch (error) {
        failures.push(`${where(located)}: ${(error as Error).message.split('\n')[0]}`)
      }
    }
    expect(failures).toEqual([])
  })

  it('every package README is covered', () => {
    expect(packageReadmes().map((page) => page.name)).toEqual(expect.arrayContaining(['packages/core/README.md', 'packages/hono/README.md', 'packages/python/README.md']))
  })

  it('every ```sh block is valid shell (bash -n)', () => {
    const failures: string[] = []
    for (const located of ofLang('sh')) {
      const result = spawnSync('bash', ['-n'], { input: located.block.content, encoding: 'utf8' })
      expect(result.error, 'bash is needed to check the shell examples').toBeUndefined()
      if (result.status !== 0) failures.push(`${where(located)}: ${result.stderr.trim().split('\n')[0]}`)
    }
    expect(ofLang('sh').length).toBeGreaterThan(10)
    expect(failures).toEqual([])
  })

  it('every ```python block is valid Python', () => {
    const sources = ofLang('python')
    expect(sources.length).toBeGreaterThan(10)
    const checker = [
      'import ast, json, sys',
      'errors = []',
      'for name, source in json.load(sys.stdin):',
      '    try:',
      '        ast.parse(source, filename=name)',
      '    except SyntaxError as error:',
      '        errors.append(f"{name}: {error.msg} (line {error.lineno})")',
      'print(json.dumps(errors))',
    ].join('\n')
    const result = spawnSync('python3', ['-c', checker], {
      input: JSON.stringify(sources.map((located) => [where(located), located.block.content])),
      encoding: 'utf8',
    })
    expect(result.error, 'python3 is needed to check the Python examples').toBeUndefined()
    expect(result.stderr).toBe('')
    expect(JSON.parse(result.stdout)).toEqual([])
  })

  it('every ```ts block type-checks against the published packages (```ts fragment: syntax only)', () => {
    const located = ofLang('ts')
    expect(located.length).toBeGreaterThan(10)
    const files = new Map<string, Located>()
    const failures: string[] = []
    for (const entry of located) {
      const name = join(docsDir, '.code-blocks', `${entry.page.name.replace(/[^A-Za-z0-9]+/g, '_')}_${entry.block.line}.ts`)
      if (entry.block.flags.includes('fragment')) {
        const source = ts.createSourceFile(name, entry.block.content, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS)
        const diagnostics = (source as unknown as { parseDiagnostics: readonly ts.Diagnostic[] }).parseDiagnostics
        for (const d of diagnostics) failures.push(`${where(entry)}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`)
      } else {
        files.set(name, entry)
      }
    }
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      noUncheckedIndexedAccess: true,
      noEmit: true,
      skipLibCheck: true,
      esModuleInterop: true,
      types: ['node'],
      lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
    }
    const host = ts.createCompilerHost(options)
    const readFile = host.readFile.bind(host)
    const fileExists = host.fileExists.bind(host)
    // Every block is its own ES module (a file in the docs package, which is "type": "module").
    host.readFile = (path) => (files.has(path) ? `${files.get(path)!.block.content}\nexport {}\n` : readFile(path))
    host.fileExists = (path) => files.has(path) || fileExists(path)
    const getSourceFile = host.getSourceFile.bind(host)
    host.getSourceFile = (path, language, onError, shouldCreate) =>
      files.has(path) ? ts.createSourceFile(path, host.readFile(path)!, language, true, ts.ScriptKind.TS) : getSourceFile(path, language, onError, shouldCreate)
    // A block that augments a module's types (declaration merging) would change every other block's
    // types, so it gets a program of its own; the rest share one.
    const isolated = [...files.keys()].filter((name) => /^declare module /m.test(files.get(name)!.block.content))
    const shared = [...files.keys()].filter((name) => !isolated.includes(name))
    // Each program reuses the previous one's unchanged source files (the libraries' declarations), which
    // is most of the work.
    let previous: ts.Program | undefined
    for (const roots of [shared, ...isolated.map((name) => [name])]) {
      const program = ts.createProgram(roots, options, host, previous)
      previous = program
      for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
        const entry = diagnostic.file ? files.get(diagnostic.file.fileName) : undefined
        const position = diagnostic.file && diagnostic.start !== undefined ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start) : null
        const at = entry ? `${entry.page.name}:${entry.block.line + 1 + (position?.line ?? 0)}` : (diagnostic.file?.fileName ?? 'program')
        failures.push(`${at}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`)
      }
    }
    expect(failures).toEqual([])
  }, 180_000) // a compiler program over every block: minutes on a loaded 2-core machine, never a verdict on speed
})

// ---------------------------------------------------------------------------------------------------
// Configuration examples are run through the real loadConfig, so a documented setting cannot be wrong.

const envContract = readJson<{ variables: Array<{ name: string }> }>(join(contractDir, 'env.json'))
const knownVariables = new Set(envContract.variables.map((variable) => variable.name))

const BASELINE = {
  TRUSTED_PROXY_ASSERTION_HEADER: 'X-Identity-Assertion',
  TRUSTED_PROXY_JWKS_URL: 'https://auth.example.com/.well-known/jwks.json',
  TRUSTED_PROXY_ISSUER: 'https://auth.example.com',
  TRUSTED_PROXY_AUDIENCE: 'app.example.com',
}

function unquote(value: string): string {
  return /^(["']).*\1$/.test(value) ? value.slice(1, -1) : value
}

/** TRUSTED_PROXY_* assignments of a shell block (`export NAME=value` or `NAME=value cmd`). */
function shellAssignments(content: string): Record<string, string> | null {
  const env: Record<string, string> = {}
  for (const line of content.split('\n')) {
    for (const match of line.matchAll(/(?:^|\s)(?:export\s+)?(TRUSTED_PROXY_[A-Z0-9_]+)=("[^"]*"|'[^']*'|[^\s#]*)/g)) {
      env[match[1]!] = unquote(match[2]!)
    }
  }
  return Object.keys(env).length > 0 ? env : null
}

/** TRUSTED_PROXY_* settings of a YAML block (a mapping such as docker compose `environment:`, or `NAME=value` items). */
function yamlAssignments(content: string): Record<string, string> | null {
  const env: Record<string, string> = {}
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) {
        const match = typeof item === 'string' ? /^(TRUSTED_PROXY_[A-Z0-9_]+)=(.*)$/.exec(item) : null
        if (match) env[match[1]!] = match[2]!
        else visit(item)
      }
    } else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key.startsWith('TRUSTED_PROXY_')) env[key] = String(value)
        else visit(value)
      }
    }
  }
  for (const document of [loadYaml(content)].flat()) visit(document)
  return Object.keys(env).length > 0 ? env : null
}

function configurationProblems(explicit: Record<string, string>): string[] {
  const unknown = Object.keys(explicit).filter((name) => !knownVariables.has(name))
  if (unknown.length > 0) return unknown.map((name) => `${name} is not in contract/env.json`)
  const shellValues = Object.entries(explicit).filter(([name, value]) => value.includes('$') && name !== 'TRUSTED_PROXY_SHARED_SECRET')
  if (shellValues.length > 0) return shellValues.map(([name]) => `${name}: use a literal example value`)
  const settings = { ...explicit }
  // Recipes read the secret from a secret store ("$SECRET"); stand in a value of the required length.
  if (settings['TRUSTED_PROXY_SHARED_SECRET']?.includes('$')) settings['TRUSTED_PROXY_SHARED_SECRET'] = 'x'.repeat(32)
  const complete = 'TRUSTED_PROXY_PRESET' in settings || 'TRUSTED_PROXY_ASSERTION_HEADER' in settings
  try {
    // The real loader, presets included: what a reader copies is exactly what the packages accept.
    loadConfig(complete ? settings : { ...BASELINE, ...settings })
    return []
  } catch (error) {
    const details = (error as { problems?: Array<{ variable: string; message: string }> }).problems ?? []
    return details.length > 0 ? details.map((problem) => `${problem.variable} ${problem.message}`) : [(error as Error).message]
  }
}

describe('configuration examples', () => {
  const examples = blocks.flatMap((located) => {
    const env = located.block.lang === 'sh' ? shellAssignments(located.block.content) : located.block.lang === 'yaml' ? yamlAssignments(located.block.content) : null
    return env ? [{ located, env }] : []
  })

  it('are found', () => {
    expect(examples.length).toBeGreaterThan(15)
  })

  it('every documented set of TRUSTED_PROXY_* settings is accepted by loadConfig (with its preset applied)', () => {
    const failures = examples.flatMap(({ located, env }) => configurationProblems(env).map((problem) => `${where(located)}: ${problem}`))
    expect(failures).toEqual([])
  })

  it('the checker itself rejects broken examples', () => {
    expect(configurationProblems({ TRUSTED_PROXY_PRESET: 'pomerium', TRUSTED_PROXY_ISSUER: 'a.example.com', TRUSTED_PROXY_AUDIENCE: 'a.example.com' }).join()).toContain(
      'TRUSTED_PROXY_JWKS_URL',
    )
    expect(configurationProblems({ TRUSTED_PROXY_MODE: 'sometimes' })).not.toEqual([])
    expect(configurationProblems({ TRUSTED_PROXY_ALGORITHMS: 'HS256' })).not.toEqual([])
    expect(configurationProblems({ TRUSTED_PROXY_JWKS_URLS: 'https://x.example.com' })).not.toEqual([])
    expect(configurationProblems({ TRUSTED_PROXY_PRESET: 'authentik', TRUSTED_PROXY_ISSUER: 'https://a.example.com/application/o/app/', TRUSTED_PROXY_AUDIENCE: 'id', TRUSTED_PROXY_SHARED_SECRET: 'short' }).join()).toContain(
      'TRUSTED_PROXY_SHARED_SECRET',
    )
    expect(configurationProblems({ TRUSTED_PROXY_PRESET: 'cloudflare-access', TRUSTED_PROXY_ISSUER: 'https://team.cloudflareaccess.com/', TRUSTED_PROXY_AUDIENCE: 'tag' })).toContain(
      'TRUSTED_PROXY_JWKS_URL is required: it cannot be derived from TRUSTED_PROXY_ISSUER',
    )
  })
})
