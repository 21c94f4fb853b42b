import type { ConfigProblem } from './errors.js'

/**
 * Fills the settings a preset provides (contract/presets.json) under the explicit ones.
 * Until presets are defined in the contract, no preset changes anything.
 */
export function applyPreset(
  _presetName: string | null,
  explicit: Readonly<Record<string, string>>,
  _problems: ConfigProblem[],
): { settings: Record<string, string>; quirks: Record<string, unknown> } {
  return { settings: { ...explicit }, quirks: {} }
}
