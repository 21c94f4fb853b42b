import { Ajv2020 } from 'ajv/dist/2020.js'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { contractDir, readJson, repoRoot } from './markdown.js'

interface EnvVariable {
  name: string
  type: string
  allowedValues?: string[]
  description: string
}
interface Quirk {
  summary: string
  settings: string[]
  parameters: Record<string, string>
  requiresQuirks?: string[]
  rules: string[]
}
type JwksUrlRule =
  | { rule: 'fixed'; url: string }
  | { rule: 'template'; template: string }
  | { rule: 'kidTemplate'; template: string; keyFormat: string }
  | { rule: 'discovery' }
  | { rule: 'required'; hint: string }
  | { rule: 'forbidden' }
interface Preset {
  title: string
  defaults: Record<string, string>
  jwksUrl: JwksUrlRule
  requires: string[]
  forbids?: string[]
  quirks: Record<string, Record<string, string>>
  hints: Record<string, string>
  recipe: string
  example: { header: Record<string, unknown>; payload: Record<string, unknown> }
}
interface PresetsFile {
  rules: string[]
  jwksUrlRules: Record<string, string[]>
  quirks: Record<string, Quirk>
  presets: Record<string, Preset>
  unsignedConventions: Array<{ id: string; headers: string[] }>
}

const presetsFile = readJson<PresetsFile>(join(contractDir, 'presets.json'))
const env = readJson<{ variables: EnvVariable[] }>(join(contractDir, 'env.json'))
const variables = new Map(env.variables.map((variable) => [variable.name, variable]))
const presets = Object.entries(presetsFile.presets)

/** The first regular expression a quirk rule quotes in backticks (`^...$`). */
function quotedPattern(quirk: string): RegExp {
  const rule = presetsFile.quirks[quirk]!.rules.find((text) => /`\^[^`]+\$`/.test(text))
  const source = /`(\^[^`]+\$)`/.exec(rule ?? '')?.[1]
  if (!source) throw new Error(`quirk ${quirk} quotes no pattern`)
  return new RegExp(source)
}

describe('contract/presets.json', () => {
  it('is valid against schema/presets.schema.json', () => {
    const ajv = new Ajv2020({ allErrors: true, strict: true })
    const validate = ajv.compile(readJson(join(contractDir, 'schema', 'presets.schema.json')))
    validate(presetsFile)
    expect(validate.errors ?? []).toEqual([])
  })

  it('defines exactly the presets the project promises', () => {
    expect(Object.keys(presetsFile.presets).sort()).toEqual(
      ['authentik', 'aws-alb', 'cloudflare-access', 'google-iap', 'oauth2-proxy', 'pomerium', 'teleport'].sort(),
    )
  })

  it('every key rule kind used is defined, and every defined kind has rules', () => {
    for (const [name, preset] of presets) expect(presetsFile.jwksUrlRules, name).toHaveProperty(preset.jwksUrl.rule)
  })

  for (const [name, preset] of presets) {
    describe(name, () => {
      it('fills only variables env.json defines, with values of the right shape', () => {
        for (const [variable, value] of Object.entries(preset.defaults)) {
          const definition = variables.get(variable)
          expect(definition, variable).toBeDefined()
          expect(value.trim(), variable).not.toBe('')
          if (definition!.type === 'list' && definition!.allowedValues) {
            for (const item of value.split(',')) expect(definition!.allowedValues, `${variable}=${value}`).toContain(item.trim())
          }
          if (definition!.type === 'url') expect(() => new URL(value)).not.toThrow()
        }
        for (const variable of [...preset.requires, ...(preset.forbids ?? []), ...Object.keys(preset.hints)]) {
          expect(variables.has(variable), variable).toBe(true)
        }
      })

      it('always names the assertion header, never an unsigned convention', () => {
        const header = preset.defaults['TRUSTED_PROXY_ASSERTION_HEADER']
        expect(header).toMatch(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/)
        const unsigned = presetsFile.unsignedConventions.flatMap((convention) => convention.headers.map((h) => h.toLowerCase()))
        expect(unsigned).not.toContain(header!.toLowerCase())
      })

      it('switches on only defined quirks, with their declared parameters and dependencies', () => {
        for (const [quirk, parameters] of Object.entries(preset.quirks)) {
          const definition = presetsFile.quirks[quirk]
          expect(definition, quirk).toBeDefined()
          expect(Object.keys(parameters).sort(), quirk).toEqual(Object.keys(definition!.parameters).sort())
          for (const needed of definition!.requiresQuirks ?? []) expect(preset.quirks, `${quirk} needs ${needed}`).toHaveProperty(needed)
          // A quirk's own setting cannot work unless the preset makes it mandatory.
          for (const setting of definition!.settings) expect(preset.requires, setting).toContain(setting)
        }
      })

      it('has a recipe page that selects it', () => {
        const recipe = join(repoRoot, preset.recipe)
        expect(existsSync(recipe), preset.recipe).toBe(true)
      })

      it('key source is consistent with what the preset requires and forbids', () => {
        const rule = preset.jwksUrl
        if (rule.rule === 'fixed') expect(new URL(rule.url).protocol).toBe('https:')
        if (rule.rule === 'template') expect(rule.template.startsWith('{issuer}/')).toBe(true)
        if (rule.rule === 'kidTemplate') {
          expect(rule.template.endsWith('/{kid}')).toBe(true)
          expect(preset.quirks, 'a kid only reaches a URL after kidUuid').toHaveProperty('kidUuid')
          expect(preset.requires).toContain('TRUSTED_PROXY_AWS_ALB_ARN')
        }
        if (rule.rule === 'forbidden') expect(preset.quirks).toHaveProperty('sharedSecretHS256')
        if ('sharedSecretHS256' in preset.quirks) {
          expect(rule.rule).toBe('forbidden')
          expect(preset.forbids).toContain('TRUSTED_PROXY_ALGORITHMS')
          expect(preset.defaults).not.toHaveProperty('TRUSTED_PROXY_ALGORITHMS')
        }
      })

      it('example imitates a token this preset accepts', () => {
        const { header, payload } = preset.example
        const algorithms = 'sharedSecretHS256' in preset.quirks ? ['HS256'] : (preset.defaults['TRUSTED_PROXY_ALGORITHMS']?.split(',') ?? variables.get('TRUSTED_PROXY_ALGORITHMS')!.allowedValues!)
        expect(algorithms).toContain(header['alg'])
        const subjectClaim = preset.defaults['TRUSTED_PROXY_CLAIM_SUBJECT'] ?? 'sub'
        expect(typeof payload[subjectClaim]).toBe('string')
        const groupsClaim = preset.defaults['TRUSTED_PROXY_CLAIM_GROUPS']
        if (groupsClaim) expect(Array.isArray(payload[groupsClaim])).toBe(true)
        if (!('albHeaderClaims' in preset.quirks)) {
          expect(typeof payload['iss']).toBe('string')
          expect(typeof payload['exp']).toBe('number')
        }
        if (!('noAudClaim' in preset.quirks)) expect(payload['aud']).toBeDefined()
        if (preset.defaults['TRUSTED_PROXY_ISSUER']) expect(payload['iss']).toBe(preset.defaults['TRUSTED_PROXY_ISSUER'])
        if ('kidOptionalTryAll' in preset.quirks) expect(header).not.toHaveProperty('kid')
        if ('subjectOptional' in preset.quirks) expect(payload[subjectClaim]).not.toBe('')
      })
    })
  }

  it('the aws-alb example passes the patterns its quirks quote, and a hostile kid does not', () => {
    const alb = presetsFile.presets['aws-alb']!
    const kid = quotedPattern('kidUuid')
    expect(kid.test(String(alb.example.header['kid']))).toBe(true)
    for (const hostile of ['../../etc/passwd', 'abb8289f-e3a4-4a34-9472-c2105e2b2482/../x', 'abb8289f-e3a4-4a34-9472-c2105e2b248', '']) {
      expect(kid.test(hostile), hostile).toBe(false)
    }
    const arn = quotedPattern('albSignerHeader')
    expect(arn.test(String(alb.example.header['signer']))).toBe(true)
    const example = (variables.get('TRUSTED_PROXY_AWS_ALB_ARN') as unknown as { example: string }).example
    expect(arn.test(example)).toBe(true)
    expect(arn.exec(example)?.[3]).toBe('eu-west-1')
    expect(arn.test('arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:loadbalancer/app/a/0123abcd')).toBe(true)
    expect(arn.test('arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/a/0123abcd')).toBe(false)
  })

  it('quirk settings exist in env.json and say which preset uses them', () => {
    for (const [name, quirk] of Object.entries(presetsFile.quirks)) {
      for (const setting of quirk.settings) {
        const users = presets.filter(([, preset]) => name in preset.quirks).map(([presetName]) => presetName)
        expect(variables.has(setting), setting).toBe(true)
        for (const user of users) expect(variables.get(setting)!.description, setting).toContain(`\`${user}\``)
      }
    }
  })

  it('documents every unsigned convention the issue lists as not offered', () => {
    const headers = presetsFile.unsignedConventions.flatMap((convention) => convention.headers)
    for (const header of ['X-Forwarded-User', 'Remote-User', 'Tailscale-User-Login', 'X-MS-CLIENT-PRINCIPAL', '<forward_payload_header>', '<outputPayloadToHeader>']) {
      expect(headers).toContain(header)
    }
  })
})
