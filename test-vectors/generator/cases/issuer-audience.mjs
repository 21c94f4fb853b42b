import { fail, ok, token } from '../lib/dsl.mjs'

const OURS = '"https://proxy.test.example"'
/** @param {string} received the quoted received iss, as the detail shows it @param {string} [expected] */
const issuerMismatch = (received, expected = OURS) => fail('issuer_mismatch', `iss ${received} is not one of ${expected}`)
/** @param {string} received the quoted received aud values, as the detail shows them */
const audienceMismatch = (received, expected = '"app-under-test"') => fail('audience_mismatch', `aud ${received} has none of ${expected}`)

/** @param {string} slug @param {string} description @param {Record<string, unknown>} changes @param {import('../lib/dsl.mjs').Expectation} expect */
const withClaims = (slug, description, changes, expect, config = {}) => ({ slug, description, config, token: token({ claims: changes }), expect })

export default () => ({
  description: 'Issuer and audience (stage claim_values): exact string comparison against every configured value, no trimming, case folding or URL normalisation.',
  vectors: [
    withClaims('iss-trailing-slash', 'iss with a trailing slash.', { iss: 'https://proxy.test.example/' }, issuerMismatch('"https://proxy.test.example/"')),
    withClaims('iss-uppercase-host', 'iss with an upper-case host.', { iss: 'https://PROXY.test.example' }, issuerMismatch('"https://PROXY.test.example"')),
    withClaims('iss-leading-space', 'iss with a leading space.', { iss: ' https://proxy.test.example' }, issuerMismatch('" https://proxy.test.example"')),
    withClaims('iss-http-scheme', 'iss with http instead of https.', { iss: 'http://proxy.test.example' }, issuerMismatch('"http://proxy.test.example"')),
    withClaims('iss-suffix-attack', 'iss that merely starts with the trusted issuer.', { iss: 'https://proxy.test.example.evil.example' }, issuerMismatch('"https://proxy.test.example.evil.example"')),
    withClaims('iss-prefix', 'iss that is a prefix of the trusted issuer.', { iss: 'https://proxy.test' }, issuerMismatch('"https://proxy.test"')),
    withClaims('iss-empty', 'iss "".', { iss: '' }, issuerMismatch('""')),
    withClaims('iss-homoglyph', 'iss with a Cyrillic "о" in place of the Latin "o".', { iss: 'https://prоxy.test.example' }, issuerMismatch('"https://prоxy.test.example"')),
    withClaims('configured-issuer-trailing-slash', 'The configured issuer has a trailing slash the token lacks.', {}, issuerMismatch('"https://proxy.test.example"', '"https://proxy.test.example/"'), {
      TRUSTED_PROXY_ISSUER: 'https://proxy.test.example/',
    }),
    withClaims('several-issuers-second-matches', 'Two configured issuers; the token has the second.', {}, ok(), {
      TRUSTED_PROXY_ISSUER: 'https://other.test.example,https://proxy.test.example',
    }),
    withClaims('several-issuers-first-matches', 'Two configured issuers (list with spaces and an empty item); the token has the first.', { iss: 'https://other.test.example' }, ok({ issuer: 'https://other.test.example' }), {
      TRUSTED_PROXY_ISSUER: ' https://other.test.example , , https://proxy.test.example ',
    }),
    withClaims('several-issuers-none-matches', 'Two configured issuers, the token has a third.', { iss: 'https://third.test.example' }, issuerMismatch('"https://third.test.example"', '"https://other.test.example", "https://proxy.test.example"'), {
      TRUSTED_PROXY_ISSUER: 'https://other.test.example,https://proxy.test.example',
    }),
    withClaims('aud-string', 'aud is the configured audience as a string: audience becomes a one-element array.', {}, ok({ audience: ['app-under-test'] })),
    withClaims('aud-single-element-array', 'aud ["app-under-test"].', { aud: ['app-under-test'] }, ok({ audience: ['app-under-test'] })),
    withClaims('aud-array-contains', 'aud lists another audience and ours: accepted, both kept.', { aud: ['other-app', 'app-under-test'] }, ok({ audience: ['other-app', 'app-under-test'] })),
    withClaims('aud-array-duplicates', 'aud lists ours twice: accepted as signed.', { aud: ['app-under-test', 'app-under-test'] }, ok({ audience: ['app-under-test', 'app-under-test'] })),
    withClaims('aud-array-without-ours', 'aud lists only other audiences.', { aud: ['other-app', 'third-app'] }, audienceMismatch('"other-app", "third-app"')),
    withClaims('aud-empty-array', 'aud [] contains no audience.', { aud: [] }, audienceMismatch('[]')),
    withClaims('aud-other-string', 'aud is another audience.', { aud: 'other-app' }, audienceMismatch('"other-app"')),
    withClaims('aud-case-differs', 'aud "App-Under-Test".', { aud: 'App-Under-Test' }, audienceMismatch('"App-Under-Test"')),
    withClaims('aud-trailing-space', 'aud "app-under-test ".', { aud: 'app-under-test ' }, audienceMismatch('"app-under-test "')),
    withClaims('aud-substring', 'aud "app-under-test-2" merely starts with ours.', { aud: 'app-under-test-2' }, audienceMismatch('"app-under-test-2"')),
    withClaims('iss-control-characters-escaped', 'iss with a newline, a quote, a backslash and DEL: the detail escapes the quote and backslash with a backslash and the control characters as \\uXXXX, so it stays one log line.', { iss: 'https://proxy.test.example\n"evil\\\u007f' }, issuerMismatch('"https://proxy.test.example\\u000a\\"evil\\\\\\u007f"')),
    withClaims('iss-long-value-cut', 'A 150-character iss: the detail shows its first 100 characters, then "…".', { iss: 'https://' + 'x'.repeat(142) }, issuerMismatch(`"https://${'x'.repeat(92)}…"`)),
    withClaims('iss-non-bmp-counted-as-one', 'An iss of 101 emoji (astral code points): cut after 100 code points in both languages.', { iss: '\u{1F600}'.repeat(101) }, issuerMismatch(`"${'\u{1F600}'.repeat(100)}…"`)),
    withClaims('aud-many-values-listed-five', 'aud with seven other values: the detail lists five and counts the rest.', { aud: ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7'] }, audienceMismatch('"a1", "a2", "a3", "a4", "a5" and 2 more')),
    withClaims('several-audiences-second-matches', 'Two configured audiences; the token has the second.', { aud: 'second-app' }, ok(), {
      TRUSTED_PROXY_AUDIENCE: 'app-under-test,second-app',
    }),
    withClaims('several-audiences-array-overlap', 'Two configured audiences and a token aud array sharing one of them.', { aud: ['x-app', 'second-app'] }, ok(), {
      TRUSTED_PROXY_AUDIENCE: 'app-under-test,second-app',
    }),
  ],
})
