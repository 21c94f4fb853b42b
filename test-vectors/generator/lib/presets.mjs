// Building blocks for the preset vectors (cases/presets-*.mjs): each preset's `example` token shape from
// contract/presets.json, and the configuration that selects the preset.
import { readContract } from './contract.mjs'
import { amend, token } from './dsl.mjs'

/** @typedef {{ header: Record<string, unknown>, payload: Record<string, unknown> }} Example */

/** @type {{ presets: Record<string, { defaults: Record<string, string>, example: Example }> }} */
const contract = readContract('presets.json')

/** A minute after the examples' `iat`, before any of their `exp`. */
export const PRESET_NOW = 1_767_225_660

/** @param {string} name */
function presetOf(name) {
  const preset = contract.presets[name]
  if (!preset) throw new Error(`contract/presets.json has no preset ${name}`)
  return preset
}

/** A fresh copy of a preset's example header and payload. @param {string} name @returns {Example} */
export function example(name) {
  return structuredClone(presetOf(name).example)
}

/**
 * Changes to BASE_CONFIG that select preset `name`: the assertion header (and whatever else the preset
 * fills) comes from the preset; issuer, audience and anything else come from `settings`.
 * @param {string} name
 * @param {Record<string, string | undefined>} settings
 */
export function presetConfig(name, settings) {
  return { TRUSTED_PROXY_ASSERTION_HEADER: undefined, TRUSTED_PROXY_ISSUER: undefined, TRUSTED_PROXY_AUDIENCE: undefined, TRUSTED_PROXY_PRESET: name, ...settings }
}

/**
 * A token with the exact member order of the preset's example; `header` and `claims` change it (a member
 * set to undefined is removed). Other members of `spec` are TokenSpec options (key, signAlg, padded, ...).
 * @param {string} name
 * @param {{ header?: Record<string, unknown>, claims?: Record<string, unknown> } & import('./dsl.mjs').TokenSpec} [spec]
 */
export function exampleToken(name, spec = {}) {
  const { header: headerChanges, claims: claimChanges, ...rest } = spec
  const { header, payload } = example(name)
  const finalHeader = amend(header, headerChanges)
  const alg = typeof finalHeader['alg'] === 'string' ? finalHeader['alg'] : 'RS256'
  return token({ alg, headerJson: JSON.stringify(finalHeader), payloadJson: JSON.stringify(amend(payload, claimChanges)), ...rest })
}

/**
 * A request carrying `value` in header `name`, as the proxy sends it.
 * @param {string} name
 * @param {import('./dsl.mjs').Value} value
 */
export function proxyRequest(name, value) {
  return { headers: /** @type {Array<[string, import('./dsl.mjs').Value]>} */ ([[name, value]]) }
}
