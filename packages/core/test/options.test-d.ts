import { describe, expectTypeOf, it } from 'vitest'
import type { AlgorithmName, PresetName, TrustedProxyAuthOptions } from '../src/index.js'

// The options are generated from contract/env.json: documented members, a union of the preset names for
// `preset` and of the allowed algorithms for `algorithms`, so a symmetric algorithm never compiles.

describe('TrustedProxyAuthOptions', () => {
  it('accepts the asymmetric algorithms and the preset names', () => {
    const options: TrustedProxyAuthOptions = { algorithms: ['ES256', 'EdDSA'], preset: 'pomerium', mode: 'optional', problemDetail: 'diagnostic', logThreshold: 'info' }
    expectTypeOf(options.algorithms).toEqualTypeOf<AlgorithmName | readonly AlgorithmName[] | undefined>()
    expectTypeOf<PresetName>().toEqualTypeOf<'cloudflare-access' | 'pomerium' | 'google-iap' | 'aws-alb' | 'oauth2-proxy' | 'teleport' | 'authentik'>()
  })

  it('refuses HS256, none and unknown presets at compile time', () => {
    // @ts-expect-error HS256 is not an allowed algorithm (contract/env.json allowedValues)
    const hmac: TrustedProxyAuthOptions = { algorithms: ['HS256'] }
    // @ts-expect-error none is never an algorithm
    const none: TrustedProxyAuthOptions = { algorithms: 'none' }
    // @ts-expect-error a preset name that contract/presets.json does not define
    const unknownPreset: TrustedProxyAuthOptions = { preset: 'nginx' }
    // @ts-expect-error mode is required or optional
    const badMode: TrustedProxyAuthOptions = { mode: 'lenient' }
    expectTypeOf([hmac, none, unknownPreset, badMode]).toBeArray()
  })
})
