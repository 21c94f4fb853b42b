import type { ConfigProblem } from './errors.js'
import { PRESETS_CONTRACT } from './generated/contract.js'
import type { KeySource } from './key-sources/key-source.js'
import { parseAlbArn } from './quirks/alb-arn.js'
import { sharedSecretProblem } from './quirks/shared-secret-hs256.js'
import { splitList } from './setting-text.js'
import { keyUrlProblem } from './url-rules.js'

/** How a preset finds its keys (contract/presets.json `jwksUrlRules`). */
type JwksUrlRule =
  | { readonly rule: 'fixed'; readonly url: string }
  | { readonly rule: 'template'; readonly template: string }
  | { readonly rule: 'kidTemplate'; readonly template: string; readonly keyFormat: 'pem-spki' }
  | { readonly rule: 'discovery' }
  | { readonly rule: 'required'; readonly hint?: string }
  | { readonly rule: 'forbidden' }

interface PresetDefinition {
  readonly defaults: Readonly<Record<string, string>>
  readonly jwksUrl: JwksUrlRule
  readonly requires: readonly string[]
  readonly forbids?: readonly string[]
  readonly quirks: Readonly<Record<string, Readonly<Record<string, unknown>>>>
}

interface QuirkDefinition {
  readonly settings: readonly string[]
}

/** The quirks a preset switches on, with their parameters (e.g. `{ subjectOptional: { fallbackClaim: 'common_name' } }`). */
export type PresetQuirks = Readonly<Record<string, Readonly<Record<string, unknown>>>>

const PRESETS = PRESETS_CONTRACT.presets as unknown as Readonly<Record<string, PresetDefinition>>
const QUIRKS = PRESETS_CONTRACT.quirks as unknown as Readonly<Record<string, QuirkDefinition>>

const JWKS_URL = 'TRUSTED_PROXY_JWKS_URL'
const ISSUER = 'TRUSTED_PROXY_ISSUER'
const AWS_ALB_ARN = 'TRUSTED_PROXY_AWS_ALB_ARN'
const SHARED_SECRET = 'TRUSTED_PROXY_SHARED_SECRET'
/** The kid that stands in for any real one when a `{kid}` template is checked against the URL rules. */
const PLACEHOLDER_KID = '00000000-0000-0000-0000-000000000000'
/** `https://host` or `https://host:port`, nothing else: the only issuer a `{issuer}` template may be built from. */
const HTTPS_ORIGIN = /^https:\/\/([^\s/?#@:[\]]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$/

/** Every preset name, in contract order. */
export function presetNames(): string[] {
  return Object.keys(PRESETS)
}

export function isKnownPreset(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(PRESETS, name)
}

/** What a key source decision leaves to the common loader: `common` validates TRUSTED_PROXY_JWKS_URL as a plain key set URL. */
export type KeySourcePlan = { readonly kind: 'common' } | { readonly kind: 'decided'; readonly source: KeySource | null }

export interface PresetResult {
  /** Explicit settings with the preset's defaults under them. */
  settings: Record<string, string>
  quirks: PresetQuirks
  keySource: KeySourcePlan
}

function presetsWithQuirkSetting(variable: string): string[] {
  const quirkNames = Object.entries(QUIRKS)
    .filter(([, quirk]) => quirk.settings.includes(variable))
    .map(([name]) => name)
  return Object.entries(PRESETS)
    .filter(([, preset]) => quirkNames.some((quirk) => quirk in preset.quirks))
    .map(([name]) => name)
}

/** Settings a quirk owns are refused unless the selected preset switches that quirk on: never silently ignored. */
function checkQuirkSettings(preset: PresetDefinition | undefined, explicit: Readonly<Record<string, string>>, problems: ConfigProblem[]): void {
  for (const [quirkName, quirk] of Object.entries(QUIRKS)) {
    if (preset && quirkName in preset.quirks) continue
    for (const variable of quirk.settings) {
      if (explicit[variable] === undefined) continue
      problems.push({ variable, message: `is only used by preset(s) ${presetsWithQuirkSetting(variable).join(', ')}` })
    }
  }
}

/** Validation the quirks' own settings need beyond their env.json type; messages never carry a secret. */
function checkQuirkSettingValues(preset: PresetDefinition, explicit: Readonly<Record<string, string>>, problems: ConfigProblem[]): void {
  const arn = explicit[AWS_ALB_ARN]
  if ('albSignerHeader' in preset.quirks && arn !== undefined && !parseAlbArn(arn.trim())) {
    problems.push({ variable: AWS_ALB_ARN, message: 'must be an Application Load Balancer ARN: arn:<partition>:elasticloadbalancing:<region>:<account id>:loadbalancer/app/<name>/<id>' })
  }
  const secret = explicit[SHARED_SECRET]
  if ('sharedSecretHS256' in preset.quirks && secret !== undefined) {
    const problem = sharedSecretProblem(secret.trim())
    if (problem) problems.push({ variable: SHARED_SECRET, message: problem })
  }
}

function oneIssuer(settings: Readonly<Record<string, string>>): string | null {
  const issuers = splitList(settings[ISSUER] ?? '')
  return issuers.length === 1 ? issuers[0]! : null
}

function kidTemplateSource(template: string): KeySource {
  return { kind: 'kidTemplate', template, keyFormat: 'pem-spki' }
}

/** An explicit `{kid}` template: `{kid}` exactly once, no other brace, and a valid key URL once a kid is in. */
function explicitKidTemplate(text: string, problems: ConfigProblem[]): KeySource | null {
  const template = text.trim()
  const withoutPlaceholder = template.split('{kid}')
  if (withoutPlaceholder.length !== 2 || /[{}]/.test(withoutPlaceholder.join(''))) {
    problems.push({ variable: JWKS_URL, message: 'must contain {kid} exactly once and no other { or }' })
    return null
  }
  const problem = keyUrlProblem(template.replace('{kid}', PLACEHOLDER_KID))
  if (problem) {
    problems.push({ variable: JWKS_URL, message: problem })
    return null
  }
  return kidTemplateSource(template)
}

/** contract/presets.json `jwksUrlRules`: decides where keys come from, or leaves TRUSTED_PROXY_JWKS_URL to the common rules. */
function planKeySource(
  name: string,
  rule: JwksUrlRule,
  explicit: Readonly<Record<string, string>>,
  settings: Record<string, string>,
  problems: ConfigProblem[],
): KeySourcePlan {
  const explicitUrl = explicit[JWKS_URL]
  switch (rule.rule) {
    case 'fixed':
      if (explicitUrl === undefined) settings[JWKS_URL] = rule.url
      return { kind: 'common' }
    case 'template': {
      if (explicitUrl !== undefined) return { kind: 'common' }
      const issuer = oneIssuer(settings)
      if (issuer === null || !HTTPS_ORIGIN.test(issuer) || keyUrlProblem(issuer) !== null) {
        problems.push({ variable: JWKS_URL, message: 'is required: it cannot be derived from TRUSTED_PROXY_ISSUER' })
        return { kind: 'decided', source: null }
      }
      settings[JWKS_URL] = rule.template.replace('{issuer}', issuer)
      return { kind: 'common' }
    }
    case 'kidTemplate': {
      if (explicitUrl !== undefined) return { kind: 'decided', source: explicitKidTemplate(explicitUrl, problems) }
      const arn = parseAlbArn((explicit[AWS_ALB_ARN] ?? '').trim())
      // A missing or invalid ARN is already a problem of its own; there is no region to derive from.
      if (!arn) return { kind: 'decided', source: null }
      if (arn.partition !== 'aws') {
        problems.push({ variable: JWKS_URL, message: 'is required for this partition' })
        return { kind: 'decided', source: null }
      }
      return { kind: 'decided', source: kidTemplateSource(rule.template.replace('{region}', arn.region)) }
    }
    case 'discovery': {
      if (explicitUrl !== undefined) return { kind: 'common' }
      const issuer = oneIssuer(settings)
      if (issuer === null || keyUrlProblem(issuer) !== null) {
        problems.push({ variable: JWKS_URL, message: 'is required: it cannot be discovered from TRUSTED_PROXY_ISSUER' })
        return { kind: 'decided', source: null }
      }
      const discoveryUrl = `${issuer.endsWith('/') ? issuer.slice(0, -1) : issuer}/.well-known/openid-configuration`
      return { kind: 'decided', source: { kind: 'discovery', issuer, discoveryUrl } }
    }
    case 'required':
      return { kind: 'common' }
    case 'forbidden':
      if (explicitUrl !== undefined) {
        problems.push({ variable: JWKS_URL, message: `must not be set with preset ${name}` })
        return { kind: 'decided', source: null }
      }
      return { kind: 'decided', source: { kind: 'sharedSecret' } }
  }
}

/**
 * The CLI's discovery choice (LoadConfigBehaviour.discovery), or null to leave the key source to the preset
 * and TRUSTED_PROXY_JWKS_URL. `auto` applies only without a preset and a key URL, and when the one issuer
 * is https; `force` replaces a preset's key URL rule except where keys are not a key set.
 */
function discoveryPlan(
  presetName: string | null,
  rule: JwksUrlRule | undefined,
  explicit: Readonly<Record<string, string>>,
  settings: Record<string, string>,
  problems: ConfigProblem[],
  discovery: 'off' | 'auto' | 'force',
): KeySourcePlan | null {
  if (discovery === 'off') return null
  const discover: JwksUrlRule = { rule: 'discovery' }
  if (discovery === 'auto') {
    // A preset names its own key source, or (rule `required`) a key host only the operator knows.
    if (explicit[JWKS_URL] !== undefined || rule !== undefined) return null
    if (!/^https:\/\//.test(oneIssuer(settings) ?? '')) return null
    return planKeySource(presetName ?? 'none', discover, explicit, settings, problems)
  }
  if (explicit[JWKS_URL] !== undefined) {
    problems.push({ variable: JWKS_URL, message: 'must not be set with --discover: the key set URL comes from the discovery document' })
    return { kind: 'decided', source: null }
  }
  if (rule !== undefined && (rule.rule === 'kidTemplate' || rule.rule === 'forbidden')) {
    problems.push({ variable: 'TRUSTED_PROXY_PRESET', message: `preset ${presetName ?? ''} does not use a key set, so keys cannot be discovered` })
    return { kind: 'decided', source: null }
  }
  return planKeySource(presetName ?? 'none', discover, explicit, settings, problems)
}

/**
 * Applies contract/presets.json: fills the preset's defaults under the explicit settings (code,
 * environment, config file), enforces `requires`, `forbids` and the quirks' own settings, and decides
 * where keys come from. Without a preset only the quirk settings are checked (they need one).
 */
export function applyPreset(
  presetName: string | null,
  explicit: Readonly<Record<string, string>>,
  problems: ConfigProblem[],
  discovery: 'off' | 'auto' | 'force' = 'off',
): PresetResult {
  const preset = presetName !== null && isKnownPreset(presetName) ? PRESETS[presetName] : undefined
  checkQuirkSettings(preset, explicit, problems)
  if (!preset || presetName === null) {
    const settings = { ...explicit }
    return { settings, quirks: {}, keySource: discoveryPlan(null, undefined, explicit, settings, problems, discovery) ?? { kind: 'common' } }
  }

  const settings: Record<string, string> = { ...preset.defaults, ...explicit }
  for (const variable of preset.requires) {
    if (explicit[variable] === undefined) problems.push({ variable, message: `is required by preset ${presetName}` })
  }
  for (const variable of preset.forbids ?? []) {
    if (explicit[variable] !== undefined) problems.push({ variable, message: `must not be set with preset ${presetName}` })
  }
  checkQuirkSettingValues(preset, explicit, problems)
  const keySource =
    discoveryPlan(presetName, preset.jwksUrl, explicit, settings, problems, discovery) ?? planKeySource(presetName, preset.jwksUrl, explicit, settings, problems)
  const quirks: PresetQuirks = Object.freeze(Object.fromEntries(Object.entries(preset.quirks).map(([name, parameters]) => [name, Object.freeze({ ...parameters })])))
  return { settings, quirks, keySource }
}
