import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig, PRESETS_CONTRACT, TrustedProxyAuthError, type ConfigProblem, type EnvInput, type TrustedProxyAuthOptions } from '../src/index.js'
import { ALB_ARN_PATTERN } from '../src/quirks/alb-arn.js'

// contract/presets.json applied by loadConfig: defaults under explicit settings, requires/forbids, the quirks'
// own settings, and the key URL rules with the exact problem messages the contract gives.

const ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/example-alb/a4df45643ccf98ac'
const SECRET = 'test-only-shared-secret-of-more-than-32-bytes'

function problemsOf(env: EnvInput, overrides: TrustedProxyAuthOptions = {}): ConfigProblem[] {
  try {
    loadConfig(env, overrides)
  } catch (error) {
    if (error instanceof TrustedProxyAuthError && error.code === 'invalid_config') return [...(error.problems ?? [])]
    throw error
  }
  throw new Error('the configuration loaded, but problems were expected')
}

const cloudflare = (extra: Record<string, string | undefined> = {}): EnvInput => ({
  TRUSTED_PROXY_PRESET: 'cloudflare-access',
  TRUSTED_PROXY_ISSUER: 'https://example-team.cloudflareaccess.com',
  TRUSTED_PROXY_AUDIENCE: 'aud-tag',
  ...extra,
})
const alb = (extra: Record<string, string | undefined> = {}): EnvInput => ({
  TRUSTED_PROXY_PRESET: 'aws-alb',
  TRUSTED_PROXY_AWS_ALB_ARN: ARN,
  TRUSTED_PROXY_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ex4mpLe01',
  TRUSTED_PROXY_AUDIENCE: 'client-id',
  ...extra,
})
const authentik = (extra: Record<string, string | undefined> = {}): EnvInput => ({
  TRUSTED_PROXY_PRESET: 'authentik',
  TRUSTED_PROXY_SHARED_SECRET: SECRET,
  TRUSTED_PROXY_ISSUER: 'https://auth.example.com/application/o/whoami/',
  TRUSTED_PROXY_AUDIENCE: 'client-id',
  ...extra,
})
const oauth2Proxy = (extra: Record<string, string | undefined> = {}): EnvInput => ({
  TRUSTED_PROXY_PRESET: 'oauth2-proxy',
  TRUSTED_PROXY_ISSUER: 'https://idp.example.com/realms/corp/',
  TRUSTED_PROXY_AUDIENCE: 'oauth2-proxy',
  ...extra,
})

describe('preset defaults and precedence', () => {
  it('fills the preset defaults, records the preset and its quirks with their parameters', () => {
    const config = loadConfig(cloudflare())
    expect(config.preset).toBe('cloudflare-access')
    expect(config.assertionHeader).toBe('Cf-Access-Jwt-Assertion')
    expect(config.algorithms).toEqual(['RS256'])
    expect(config.presetQuirks).toEqual({ subjectOptional: { fallbackClaim: 'common_name' } })
    expect(Object.isFrozen(config.presetQuirks)).toBe(true)
    expect(Object.isFrozen(config.presetQuirks['subjectOptional'])).toBe(true)
  })

  it('lets options in code, then the environment, then the config file win over the preset', () => {
    const dir = mkdtempSync(join(tmpdir(), 'presets-'))
    const file = join(dir, 'settings.json')
    writeFileSync(file, JSON.stringify({ TRUSTED_PROXY_PRESET: 'teleport', TRUSTED_PROXY_CLAIM_GROUPS: 'from-file', TRUSTED_PROXY_CLAIM_NAME: 'from-file' }))
    const config = loadConfig(
      { TRUSTED_PROXY_CONFIG_FILE: file, TRUSTED_PROXY_CLAIM_NAME: 'from-env', TRUSTED_PROXY_JWKS_URL: 'https://teleport.example.com/.well-known/jwks.json', TRUSTED_PROXY_ISSUER: 'teleport.example.com', TRUSTED_PROXY_AUDIENCE: 'http://localhost:8080' },
      { algorithms: ['ES256'] },
    )
    expect(config.preset).toBe('teleport')
    expect(config.assertionHeader).toBe('Teleport-Jwt-Assertion')
    expect(config.algorithms).toEqual(['ES256'])
    expect(config.claimGroups).toBe('from-file')
    expect(config.claimName).toBe('from-env')
    expect(config.presetQuirks).toEqual({ kidOptionalTryAll: {} })
  })

  it('validates a filled value like an explicit one', () => {
    const config = loadConfig({ TRUSTED_PROXY_PRESET: 'google-iap', TRUSTED_PROXY_AUDIENCE: '/projects/1/apps/x' })
    expect(config.issuer).toEqual(['https://cloud.google.com/iap'])
    expect(config.algorithms).toEqual(['ES256'])
  })

  it('has no preset when none is selected', () => {
    const config = loadConfig({ TRUSTED_PROXY_ASSERTION_HEADER: 'X-A', TRUSTED_PROXY_JWKS_URL: 'https://k.example/jwks.json', TRUSTED_PROXY_ISSUER: 'i', TRUSTED_PROXY_AUDIENCE: 'a' })
    expect(config.preset).toBeNull()
    expect(config.presetQuirks).toEqual({})
    expect(config.keySource).toEqual({ kind: 'jwks', url: 'https://k.example/jwks.json' })
  })

  it('refuses an unknown preset on TRUSTED_PROXY_PRESET', () => {
    expect(problemsOf({ ...cloudflare(), TRUSTED_PROXY_PRESET: 'nginx' })).toContainEqual({ variable: 'TRUSTED_PROXY_PRESET', message: 'is not a known preset (known: cloudflare-access, pomerium, google-iap, aws-alb, oauth2-proxy, teleport, authentik)' })
  })
})

describe('requires, forbids and quirk settings', () => {
  it('names the preset for a missing required setting and for a forbidden one', () => {
    expect(problemsOf(alb({ TRUSTED_PROXY_AWS_ALB_ARN: undefined }))).toContainEqual({ variable: 'TRUSTED_PROXY_AWS_ALB_ARN', message: 'is required by preset aws-alb' })
    expect(problemsOf(alb({ TRUSTED_PROXY_MAX_AGE: '300' }))).toEqual([{ variable: 'TRUSTED_PROXY_MAX_AGE', message: 'must not be set with preset aws-alb' }])
    expect(problemsOf(authentik({ TRUSTED_PROXY_ALGORITHMS: 'HS256' }))).toContainEqual({ variable: 'TRUSTED_PROXY_ALGORITHMS', message: 'must not be set with preset authentik' })
    expect(problemsOf(authentik({ TRUSTED_PROXY_SHARED_SECRET: undefined }))).toEqual([{ variable: 'TRUSTED_PROXY_SHARED_SECRET', message: 'is required by preset authentik' }])
  })

  it('refuses a quirk setting the selected preset (or no preset) does not use', () => {
    expect(problemsOf({ ...cloudflare(), TRUSTED_PROXY_AWS_ALB_ARN: ARN })).toEqual([{ variable: 'TRUSTED_PROXY_AWS_ALB_ARN', message: 'is only used by preset(s) aws-alb' }])
    expect(problemsOf({ TRUSTED_PROXY_ASSERTION_HEADER: 'X-A', TRUSTED_PROXY_JWKS_URL: 'https://k.example/j', TRUSTED_PROXY_ISSUER: 'i', TRUSTED_PROXY_AUDIENCE: 'a' }, { sharedSecret: SECRET })).toEqual([
      { variable: 'TRUSTED_PROXY_SHARED_SECRET', message: 'is only used by preset(s) authentik' },
    ])
  })

  it('checks the ARN against the pattern the contract gives', () => {
    const rule = PRESETS_CONTRACT.quirks.albSignerHeader.rules[0]
    expect(rule).toContain(`\`${ALB_ARN_PATTERN.source.replaceAll('\\/', '/')}\``)
    expect(problemsOf(alb({ TRUSTED_PROXY_AWS_ALB_ARN: ARN.replace('/app/', '/net/') }))).toEqual([
      { variable: 'TRUSTED_PROXY_AWS_ALB_ARN', message: 'must be an Application Load Balancer ARN: arn:<partition>:elasticloadbalancing:<region>:<account id>:loadbalancer/app/<name>/<id>' },
    ])
    expect(loadConfig(alb({ TRUSTED_PROXY_AWS_ALB_ARN: `  ${ARN} ` })).awsAlbArn).toBe(ARN)
  })

  it('keeps every preset consistent with the quirks it needs', () => {
    const quirks = PRESETS_CONTRACT.quirks as Record<string, { requiresQuirks?: readonly string[] }>
    for (const [name, preset] of Object.entries(PRESETS_CONTRACT.presets)) {
      for (const quirk of Object.keys(preset.quirks)) {
        expect(quirks[quirk], `${name}: ${quirk}`).toBeDefined()
        for (const needed of quirks[quirk]?.requiresQuirks ?? []) expect(Object.keys(preset.quirks), `${name}: ${quirk} needs ${needed}`).toContain(needed)
      }
    }
  })
})

describe('key URL rules', () => {
  it('fixed: the vendor URL unless one is set', () => {
    const env = { TRUSTED_PROXY_PRESET: 'google-iap', TRUSTED_PROXY_AUDIENCE: '/projects/1/apps/x' }
    expect(loadConfig(env).jwksUrl).toBe('https://www.gstatic.com/iap/verify/public_key-jwk')
    expect(loadConfig({ ...env, TRUSTED_PROXY_JWKS_URL: 'http://127.0.0.1:8080/jwk' }).keySource).toEqual({ kind: 'jwks', url: 'http://127.0.0.1:8080/jwk' })
  })

  it('template: built from one https origin issuer', () => {
    expect(loadConfig(cloudflare()).keySource).toEqual({ kind: 'jwks', url: 'https://example-team.cloudflareaccess.com/cdn-cgi/access/certs' })
    expect(loadConfig(cloudflare({ TRUSTED_PROXY_ISSUER: 'https://access.example.com:8443' })).jwksUrl).toBe('https://access.example.com:8443/cdn-cgi/access/certs')
    const message = { variable: 'TRUSTED_PROXY_JWKS_URL', message: 'is required: it cannot be derived from TRUSTED_PROXY_ISSUER' }
    for (const issuer of ['https://t.example.com/', 'https://t.example.com/x', 'http://t.example.com', 'https://u@t.example.com', 'https://t.example.com?x', 'https://t.example.com#x', 'https://a.example,https://b.example', 't.example.com']) {
      expect(problemsOf(cloudflare({ TRUSTED_PROXY_ISSUER: issuer })), issuer).toEqual([message])
    }
  })

  it('kidTemplate: the region of an aws ARN, or an explicit {kid} template', () => {
    expect(loadConfig(alb()).keySource).toEqual({ kind: 'kidTemplate', template: 'https://public-keys.auth.elb.eu-west-1.amazonaws.com/{kid}', keyFormat: 'pem-spki' })
    expect(loadConfig(alb()).jwksUrl).toBe('https://public-keys.auth.elb.eu-west-1.amazonaws.com/{kid}')
    const gov = ARN.replace('arn:aws:', 'arn:aws-us-gov:').replace('eu-west-1', 'us-gov-west-1')
    expect(problemsOf(alb({ TRUSTED_PROXY_AWS_ALB_ARN: gov }))).toEqual([{ variable: 'TRUSTED_PROXY_JWKS_URL', message: 'is required for this partition' }])
    const govUrl = 'https://s3-us-gov-west-1.amazonaws.com/aws-elb-public-keys-prod-us-gov-west-1/{kid}'
    expect(loadConfig(alb({ TRUSTED_PROXY_AWS_ALB_ARN: gov, TRUSTED_PROXY_JWKS_URL: govUrl })).keySource).toMatchObject({ kind: 'kidTemplate', template: govUrl })
    const braces = { variable: 'TRUSTED_PROXY_JWKS_URL', message: 'must contain {kid} exactly once and no other { or }' }
    expect(problemsOf(alb({ TRUSTED_PROXY_JWKS_URL: 'https://k.example/keys' }))).toEqual([braces])
    expect(problemsOf(alb({ TRUSTED_PROXY_JWKS_URL: 'https://k.example/{kid}/{kid}' }))).toEqual([braces])
    expect(problemsOf(alb({ TRUSTED_PROXY_JWKS_URL: 'https://{region}.k.example/{kid}' }))).toEqual([braces])
    expect(problemsOf(alb({ TRUSTED_PROXY_JWKS_URL: 'http://k.example/{kid}' }))).toEqual([{ variable: 'TRUSTED_PROXY_JWKS_URL', message: 'must use https (plain http only for loopback hosts)' }])
    expect(loadConfig(alb({ TRUSTED_PROXY_JWKS_URL: 'http://127.0.0.1:9000/keys/{kid}' })).jwksUrl).toBe('http://127.0.0.1:9000/keys/{kid}')
  })

  it('discovery: the issuer with one trailing slash removed plus /.well-known/openid-configuration', () => {
    expect(loadConfig(oauth2Proxy()).keySource).toEqual({ kind: 'discovery', issuer: 'https://idp.example.com/realms/corp/', discoveryUrl: 'https://idp.example.com/realms/corp/.well-known/openid-configuration' })
    expect(loadConfig(oauth2Proxy()).jwksUrl).toBeNull()
    expect(loadConfig(oauth2Proxy({ TRUSTED_PROXY_JWKS_URL: 'https://idp.example.com/certs' })).keySource).toEqual({ kind: 'jwks', url: 'https://idp.example.com/certs' })
    const message = { variable: 'TRUSTED_PROXY_JWKS_URL', message: 'is required: it cannot be discovered from TRUSTED_PROXY_ISSUER' }
    for (const issuer of ['http://idp.example.com', 'idp.example.com', 'https://a.example,https://b.example']) expect(problemsOf(oauth2Proxy({ TRUSTED_PROXY_ISSUER: issuer })), issuer).toEqual([message])
    expect(loadConfig(oauth2Proxy({ TRUSTED_PROXY_ISSUER: 'http://localhost:8080/' })).keySource).toMatchObject({ discoveryUrl: 'http://localhost:8080/.well-known/openid-configuration' })
  })

  it('required: the common is required', () => {
    expect(problemsOf({ TRUSTED_PROXY_PRESET: 'pomerium', TRUSTED_PROXY_ISSUER: 'a.example.com', TRUSTED_PROXY_AUDIENCE: 'a.example.com' })).toEqual([{ variable: 'TRUSTED_PROXY_JWKS_URL', message: 'is required' }])
  })

  it('forbidden: no key set, and setting one is refused', () => {
    const config = loadConfig(authentik())
    expect(config.keySource).toEqual({ kind: 'sharedSecret' })
    expect(config.jwksUrl).toBeNull()
    expect(config.algorithms).toEqual(['HS256'])
    expect(problemsOf(authentik({ TRUSTED_PROXY_JWKS_URL: 'https://auth.example.com/jwks' }))).toEqual([{ variable: 'TRUSTED_PROXY_JWKS_URL', message: 'must not be set with preset authentik' }])
  })
})

describe('the shared secret stays secret', () => {
  it('is readable by the verifier but not enumerable, so it never appears in a serialized configuration', () => {
    const config = loadConfig(authentik({ TRUSTED_PROXY_SHARED_SECRET: `  ${SECRET}  ` }))
    expect(config.sharedSecret).toBe(SECRET)
    expect(Object.keys(config)).not.toContain('sharedSecret')
    expect(JSON.stringify(config)).not.toContain(SECRET)
    expect(loadConfig(alb()).sharedSecret).toBeNull()
  })

  it('is never part of a configuration problem, however it is wrong', () => {
    const short = 'short-test-secret'
    const problems = problemsOf(authentik({ TRUSTED_PROXY_SHARED_SECRET: short }))
    expect(problems).toEqual([{ variable: 'TRUSTED_PROXY_SHARED_SECRET', message: 'must be at least 32 bytes' }])
    expect(JSON.stringify(problems)).not.toContain(short)
    expect(JSON.stringify(problemsOf({ TRUSTED_PROXY_SHARED_SECRET: SECRET }))).not.toContain(SECRET)
  })

  it('counts bytes, not characters', () => {
    expect(loadConfig(authentik({ TRUSTED_PROXY_SHARED_SECRET: 'é'.repeat(16) })).sharedSecret).toBe('é'.repeat(16))
    expect(problemsOf(authentik({ TRUSTED_PROXY_SHARED_SECRET: 'x'.repeat(31) }))).toHaveLength(1)
  })
})
