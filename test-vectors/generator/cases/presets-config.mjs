import { fail, ok, token } from '../lib/dsl.mjs'

const invalid = fail('invalid_config')
const ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/example-alb/a4df45643ccf98ac'

export default () => ({
  description:
    'Preset selection (contract/presets.json `rules`) on the common test configuration: unknown preset names, settings that only a preset\'s quirk uses, and the precedence of explicit settings over preset defaults.',
  vectors: [
    { slug: 'unknown-preset', description: 'TRUSTED_PROXY_PRESET=nginx is not a preset.', config: { TRUSTED_PROXY_PRESET: 'nginx' }, expect: invalid },
    { slug: 'preset-name-case', description: 'Preset names are exact: "Pomerium" is not "pomerium".', config: { TRUSTED_PROXY_PRESET: 'Pomerium' }, expect: invalid },
    { slug: 'preset-name-trimmed', description: 'Surrounding whitespace of the setting is trimmed: " pomerium " selects pomerium (explicit settings still win).', config: { TRUSTED_PROXY_PRESET: ' pomerium ', TRUSTED_PROXY_ALGORITHMS: 'RS256' }, token: token(), expect: ok() },
    { slug: 'preset-empty', description: 'An empty TRUSTED_PROXY_PRESET selects no preset.', config: { TRUSTED_PROXY_PRESET: '' }, token: token(), expect: ok() },
    { slug: 'aws-alb-arn-without-preset', description: 'TRUSTED_PROXY_AWS_ALB_ARN without a preset: only used by preset aws-alb, never silently ignored.', config: { TRUSTED_PROXY_AWS_ALB_ARN: ARN }, expect: invalid },
    { slug: 'shared-secret-without-preset', description: 'TRUSTED_PROXY_SHARED_SECRET without a preset: only used by preset authentik.', config: { TRUSTED_PROXY_SHARED_SECRET: 'a-test-only-secret-that-is-long-enough-0123456789' }, expect: invalid },
    {
      slug: 'hs256-token-without-preset',
      description: 'Outside preset authentik HS* stays forbidden: an HS256 token is unsupported_algorithm whatever its key.',
      config: {},
      token: token({ alg: 'HS256', kid: null, hmacSecret: 'a-test-only-secret-that-is-long-enough-0123456789' }),
      expect: fail('unsupported_algorithm'),
    },
    {
      slug: 'explicit-settings-win',
      description: 'Preset pomerium with every setting it would fill given explicitly: the explicit header and algorithms apply.',
      config: { TRUSTED_PROXY_PRESET: 'pomerium', TRUSTED_PROXY_ALGORITHMS: 'RS256' },
      request: { headers: [['X-Test-Assertion', token()]] },
      expect: ok(),
    },
    {
      slug: 'explicit-settings-win-default-header-unread',
      description: 'With an explicit assertion header, the preset\'s header (X-Pomerium-Jwt-Assertion) is not read.',
      config: { TRUSTED_PROXY_PRESET: 'pomerium' },
      request: { headers: [['X-Pomerium-Jwt-Assertion', token()]] },
      expect: fail('missing_assertion'),
    },
    {
      slug: 'explicit-algorithms-win',
      description: 'Preset pomerium (ES256, RS256) with TRUSTED_PROXY_ALGORITHMS=EdDSA: an RS256 token is refused.',
      config: { TRUSTED_PROXY_PRESET: 'pomerium', TRUSTED_PROXY_ALGORITHMS: 'EdDSA' },
      token: token(),
      expect: fail('unsupported_algorithm'),
    },
  ],
})
