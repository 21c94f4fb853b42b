import { ENV_CONTRACT } from '../../generated/contract.js'
import type { EnrollmentProposal, SettingValue } from './enrollment-operations.js'

/** Form fields holding a setting are named `setting.<TRUSTED_PROXY_NAME>`. */
export const SETTING_FIELD_PREFIX = 'setting.'

/** Settings never proposed, accepted or stored (contract/enrollment.json forbiddenSettings). */
const FORBIDDEN = new Set(['TRUSTED_PROXY_CONFIG_FILE', 'TRUSTED_PROXY_ENROLLMENT_FILE', 'TRUSTED_PROXY_SHARED_SECRET'])
const VARIABLES = new Map(ENV_CONTRACT.variables.map((variable) => [variable.name as string, variable]))

/** The settings the page always offers for editing, in this order, before any other proposed setting. */
export const PRIMARY_SETTINGS = ['TRUSTED_PROXY_PRESET', 'TRUSTED_PROXY_ASSERTION_HEADER', 'TRUSTED_PROXY_ISSUER', 'TRUSTED_PROXY_AUDIENCE', 'TRUSTED_PROXY_JWKS_URL'] as const

/** The text a form field shows for a setting (lists comma-separated). */
export function settingText(value: SettingValue | undefined): string {
  if (value === undefined) return ''
  return Array.isArray(value) ? value.join(', ') : String(value)
}

/** The settings to render, primary ones first (present or empty), then the rest of the proposal. */
export function settingRows(settings: Readonly<Record<string, SettingValue>>): Array<{ name: string; description: string; value: string }> {
  const names = [...PRIMARY_SETTINGS.filter((name) => name !== 'TRUSTED_PROXY_PRESET' || settings[name] !== undefined), ...Object.keys(settings).filter((name) => !(PRIMARY_SETTINGS as readonly string[]).includes(name))]
  return names
    .filter((name) => VARIABLES.has(name) && !FORBIDDEN.has(name))
    .map((name) => ({ name, description: VARIABLES.get(name)!.description, value: settingText(settings[name]) }))
}

/**
 * The proposal a submitted form describes: known, allowed settings only; list settings split at commas;
 * integers and numbers as numbers when they parse (otherwise left as text, for the configuration check to
 * report); empty fields omitted.
 */
export function proposalFromForm(form: Readonly<Record<string, string>>): EnrollmentProposal {
  const settings: Record<string, SettingValue> = {}
  for (const [field, raw] of Object.entries(form)) {
    if (!field.startsWith(SETTING_FIELD_PREFIX)) continue
    const name = field.slice(SETTING_FIELD_PREFIX.length)
    const variable = VARIABLES.get(name)
    const text = raw.trim()
    if (!variable || FORBIDDEN.has(name) || text === '') continue
    if (variable.type === 'list' || variable.type === 'cidr-list') {
      settings[name] = text.split(',').map((item) => item.trim()).filter((item) => item !== '')
    } else if ((variable.type === 'integer' || variable.type === 'number') && /^-?\d+(\.\d+)?$/.test(text)) {
      settings[name] = Number(text)
    } else {
      settings[name] = text
    }
  }
  return { settings }
}
