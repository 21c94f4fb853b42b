import { fail, ok, token } from '../lib/dsl.mjs'

const issuerMismatch = fail('issuer_mismatch')
const audienceMismatch = fail('audience_mismatch')

/** @param {string} slug @param {string} description @param {Record<string, unknown>} changes @param {import('../lib/dsl.mjs').Expectation} expect */
const withClaims = (slug, description, changes, expect, config = {}) => ({ slug, description, config, token: token({ claims: changes }), expect })

export default () => ({
  description: 'Issuer and audience (stage claim_values): exact string comparison against every configured value, no trimming, case folding or URL normalisation.',
  vectors: [
    withClaims('iss-trailing-slash', 'iss with a trailing slash.', { iss: 'https://proxy.test.example/' }, issuerMismatch),
    withClaims('iss-uppercase-host', 'iss with an upper-case host.', { iss: 'https://PROXY.test.example' }, issuerMismatch),
    withClaims('iss-leading-space', 'iss with a leading space.', { iss: ' https://proxy.test.example' }, issuerMismatch),
    withClaims('iss-http-scheme', 'iss with http instead of https.', { iss: 'http://proxy.test.example' }, issuerMismatch),
    withClaims('iss-suffix-attack', 'iss that merely starts with the trusted issuer.', { iss: 'https://proxy.test.example.evil.example' }, issuerMismatch),
    withClaims('iss-prefix', 'iss that is a prefix of the trusted issuer.', { iss: 'https://proxy.test' }, issuerMismatch),
    withClaims('iss-empty', 'iss "".', { iss: '' }, issuerMismatch),
    withClaims('iss-homoglyph', 'iss with a Cyrillic "о" in place of the Latin "o".', { iss: 'https://prоxy.test.example' }, issuerMismatch),
    withClaims('configured-issuer-trailing-slash', 'The configured issuer has a trailing slash the token lacks.', {}, issuerMismatch, {
      TRUSTED_PROXY_ISSUER: 'https://proxy.test.example/',
    }),
    withClaims('several-issuers-second-matches', 'Two configured issuers; the token has the second.', {}, ok(), {
      TRUSTED_PROXY_ISSUER: 'https://other.test.example,https://proxy.test.example',
    }),
    withClaims('several-issuers-first-matches', 'Two configured issuers (list with spaces and an empty item); the token has the first.', { iss: 'https://other.test.example' }, ok({ issuer: 'https://other.test.example' }), {
      TRUSTED_PROXY_ISSUER: ' https://other.test.example , , https://proxy.test.example ',
    }),
    withClaims('several-issuers-none-matches', 'Two configured issuers, the token has a third.', { iss: 'https://third.test.example' }, issuerMismatch, {
      TRUSTED_PROXY_ISSUER: 'https://other.test.example,https://proxy.test.example',
    }),
    withClaims('aud-string', 'aud is the configured audience as a string: audience becomes a one-element array.', {}, ok({ audience: ['app-under-test'] })),
    withClaims('aud-single-element-array', 'aud ["app-under-test"].', { aud: ['app-under-test'] }, ok({ audience: ['app-under-test'] })),
    withClaims('aud-array-contains', 'aud lists another audience and ours: accepted, both kept.', { aud: ['other-app', 'app-under-test'] }, ok({ audience: ['other-app', 'app-under-test'] })),
    withClaims('aud-array-duplicates', 'aud lists ours twice: accepted as signed.', { aud: ['app-under-test', 'app-under-test'] }, ok({ audience: ['app-under-test', 'app-under-test'] })),
    withClaims('aud-array-without-ours', 'aud lists only other audiences.', { aud: ['other-app', 'third-app'] }, audienceMismatch),
    withClaims('aud-empty-array', 'aud [] contains no audience.', { aud: [] }, audienceMismatch),
    withClaims('aud-other-string', 'aud is another audience.', { aud: 'other-app' }, audienceMismatch),
    withClaims('aud-case-differs', 'aud "App-Under-Test".', { aud: 'App-Under-Test' }, audienceMismatch),
    withClaims('aud-trailing-space', 'aud "app-under-test ".', { aud: 'app-under-test ' }, audienceMismatch),
    withClaims('aud-substring', 'aud "app-under-test-2" merely starts with ours.', { aud: 'app-under-test-2' }, audienceMismatch),
    withClaims('several-audiences-second-matches', 'Two configured audiences; the token has the second.', { aud: 'second-app' }, ok(), {
      TRUSTED_PROXY_AUDIENCE: 'app-under-test,second-app',
    }),
    withClaims('several-audiences-array-overlap', 'Two configured audiences and a token aud array sharing one of them.', { aud: ['x-app', 'second-app'] }, ok(), {
      TRUSTED_PROXY_AUDIENCE: 'app-under-test,second-app',
    }),
  ],
})
