import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.js'
import { PRESETS_CONTRACT } from '../src/generated/contract.js'
import { combineStagePlugs, NO_QUIRK_STAGES } from '../src/quirk-stages.js'
import { QUIRK_PLUGS, quirkStagesFor } from '../src/quirks/index.js'

// How the core's modules depend on each other: no import circle (type imports included), and the stages never
// import a proxy's quirk by name: the quirks plug into named stages through quirks/index.ts.

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src')

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : []
  })
}

/** Each module (path relative to src) with the relative modules it imports or re-exports from, `import type` included. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const file of sourceFiles(SRC)) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest)
    const targets: string[] = []
    for (const statement of source.statements) {
      if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) continue
      const specifier = statement.moduleSpecifier
      if (!specifier || !ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) continue
      targets.push(relative(SRC, resolve(dirname(file), specifier.text.replace(/\.js$/, '.ts'))))
    }
    graph.set(relative(SRC, file), targets)
  }
  return graph
}

/** The circles of the graph: strongly connected components of more than one module (Tarjan). */
function importCircles(graph: Map<string, string[]>): string[][] {
  let next = 0
  const order = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const circles: string[][] = []
  const visit = (module: string): void => {
    order.set(module, next)
    low.set(module, next++)
    stack.push(module)
    onStack.add(module)
    for (const target of graph.get(module) ?? []) {
      if (!graph.has(target)) continue
      if (!order.has(target)) {
        visit(target)
        low.set(module, Math.min(low.get(module)!, low.get(target)!))
      } else if (onStack.has(target)) {
        low.set(module, Math.min(low.get(module)!, order.get(target)!))
      }
    }
    if (low.get(module) !== order.get(module)) return
    const component: string[] = []
    let member: string
    do {
      member = stack.pop()!
      onStack.delete(member)
      component.push(member)
    } while (member !== module)
    if (component.length > 1) circles.push(component.sort())
  }
  for (const module of graph.keys()) if (!order.has(module)) visit(module)
  return circles
}

/**
 * Modules outside quirks/ that still import a quirk's own module, and why. They belong to loading a preset's
 * configuration or to onboarding, not to the verification stages; a stage added here is a failing test.
 */
const PRESET_LAYER_IMPORTS: Readonly<Record<string, string>> = {
  'config.ts': 'sharedSecretHS256 fixes the algorithm list when the configuration is loaded',
  'presets.ts': "the quirks' own settings (ALB ARN, shared secret length) are validated with the preset",
  'key-sources/shared-secret-keys.ts': "the shared secret's key source (sharedSecretHS256)",
  'key-sources/kid-template-keys.ts': 'the kid-template key source refuses a non-UUID kid again before it builds a URL (defence in depth)',
  'enrollment/decoded-assertion.ts': 'onboarding decodes an assertion of any preset, padded ones included',
}

describe('module structure of the core', () => {
  const graph = importGraph()

  it('finds the imports (the graph is read at all)', () => {
    expect(graph.get('verifier.ts')).toContain('quirks/index.ts')
    expect(graph.get('claims.ts')).toContain('quirk-stages.ts')
  })

  it('has no import circle, type imports included', () => {
    expect(importCircles(graph)).toEqual([])
  })

  it('detects a circle when there is one', () => {
    const withCircle = new Map(graph)
    withCircle.set('claim-value.ts', [...(graph.get('claim-value.ts') ?? []), 'claims.ts'])
    // The circle found holds both files, and whatever else then imports its way round (claim-value.ts is imported widely).
    expect(importCircles(withCircle).some((circle) => circle.includes('claim-value.ts') && circle.includes('claims.ts'))).toBe(true)
  })

  it('lets no verification stage import a quirk by name: only quirks/index.ts', () => {
    const byName = [...graph]
      .filter(([module]) => !module.startsWith('quirks/') && !Object.hasOwn(PRESET_LAYER_IMPORTS, module))
      .flatMap(([module, targets]) => targets.filter((target) => target.startsWith('quirks/') && target !== 'quirks/index.ts').map((target) => `${module} -> ${target}`))
    expect(byName).toEqual([])
  })

  it('keeps the preset-layer exceptions true (each still imports a quirk module)', () => {
    for (const module of Object.keys(PRESET_LAYER_IMPORTS)) {
      expect(graph.get(module)?.some((target) => target.startsWith('quirks/') && target !== 'quirks/index.ts'), module).toBe(true)
    }
  })
})

describe('quirk plugs', () => {
  const ALB_ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/my-alb/0123456789abcdef'
  const ALB = { TRUSTED_PROXY_PRESET: 'aws-alb', TRUSTED_PROXY_AWS_ALB_ARN: ALB_ARN, TRUSTED_PROXY_AUDIENCE: 'client-id', TRUSTED_PROXY_ISSUER: 'https://idp.example' }

  it('has plugs for exactly the quirks of contract/presets.json', () => {
    expect(Object.keys(QUIRK_PLUGS).sort()).toEqual(Object.keys(PRESETS_CONTRACT.quirks).sort())
  })

  const PLAIN = { TRUSTED_PROXY_ASSERTION_HEADER: 'X-Identity', TRUSTED_PROXY_JWKS_URL: 'https://idp.example/jwks.json', TRUSTED_PROXY_ISSUER: 'https://idp.example', TRUSTED_PROXY_AUDIENCE: 'app' }

  it('plugs nothing without a preset', () => {
    const config = loadConfig(PLAIN)
    expect(quirkStagesFor(config)).toEqual(NO_QUIRK_STAGES)
  })

  it('refuses a quirk it has no plugs for', () => {
    const config = loadConfig(PLAIN)
    expect(() => quirkStagesFor({ ...config, presetQuirks: { someNewQuirk: {} } })).toThrow('quirk someNewQuirk has no plugs in this library')
  })

  it('refuses, when the verifier is built, an albSignerHeader configuration without its ARN (loadConfig never makes one)', () => {
    const config = loadConfig(ALB)
    expect(() => quirkStagesFor({ ...config, awsAlbArn: null })).toThrow(expect.objectContaining({ code: 'invalid_config', problems: [{ variable: 'TRUSTED_PROXY_AWS_ALB_ARN', message: 'is required by quirk albSignerHeader' }] }))
  })

  it('refuses subjectOptional without its fallback claim', () => {
    expect(() => quirkStagesFor({ ...loadConfig(PLAIN), presetQuirks: { subjectOptional: {} } })).toThrow('quirk subjectOptional needs its fallbackClaim parameter')
  })

  it('refuses two quirks that plug the same single plug', () => {
    const audience = (): readonly string[] => ['a']
    expect(() => combineStagePlugs([['first', { claimValues: { audience } }], ['second', { claimValues: { audience } }]])).toThrow('quirks first and second both plug claimValues.audience')
  })

  it("combines aws-alb's seven quirks in the contract's order: the signer is checked before the issuers are compared", () => {
    const config = loadConfig(ALB)
    const stages = quirkStagesFor(config)
    expect(stages.requiredHeaderStrings).toEqual(['signer', 'client'])
    expect(stages.audienceOptional).toBe(true)
    expect(stages.segment?.('YQ==')).toBe('YQ')
    expect(stages.kidAccepted?.('not-a-uuid')).toBe(false)
    expect(stages.emailVerified?.('true')).toBe(true)
    expect(stages.beforeIssuer).toHaveLength(2)
    // A foreign signer and disagreeing issuers: the signer's error comes first.
    const firstError = (): unknown => {
      try {
        for (const check of stages.beforeIssuer) check({ signer: 'arn:other', iss: 'https://a' }, { iss: 'https://b' })
      } catch (error) {
        return error
      }
      return null
    }
    expect(firstError()).toMatchObject({ code: 'issuer_mismatch', detail: expect.stringContaining('header member "signer"') })
  })
})
