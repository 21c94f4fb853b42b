// How numbers of the payload are printed in the identity (contract/checks.json `numberOutput`): every
// number is an IEEE-754 double (I-JSON, RFC 7493 §2.2) printed as ECMAScript Number::toString does
// (RFC 8785 §3.2.2.3), so both command lines print byte-identical identities.
import { AUDIENCE, ISSUER, NOW, ok, token } from '../lib/dsl.mjs'

/**
 * A valid payload with the given number texts written verbatim (JSON.stringify would normalize them).
 * @param {Record<string, string>} numbers member name → JSON number text (or any JSON value text)
 */
function payloadWith(numbers) {
  /** @type {Record<string, string>} */
  const members = {
    iss: JSON.stringify(ISSUER),
    aud: JSON.stringify(AUDIENCE),
    sub: '"user-123"',
    iat: String(NOW - 10),
    exp: String(NOW + 300),
    ...numbers,
  }
  return `{${Object.entries(members)
    .map(([name, text]) => `${JSON.stringify(name)}:${text}`)
    .join(',')}}`
}

/** @param {string} slug @param {string} description @param {Record<string, string>} numbers @param {Record<string, unknown>} [check] */
const printed = (slug, description, numbers, check = {}) => ({ slug, description, token: token({ payloadJson: payloadWith(numbers) }), expect: ok(check) })

export default () => ({
  description:
    'Numbers in the identity (contract/checks.json numberOutput): each is parsed as the nearest IEEE-754 double and printed as ECMAScript Number::toString / RFC 8785 §3.2.2.3 prints it, so that both command lines print the same bytes.',
  vectors: [
    printed('iat-exponent-form', '`iat` written 1.69999999e9: printed 1699999990 (issuedAt too).', { iat: '1.69999999e9' }, { issuedAt: 1699999990 }),
    printed('exp-fraction-zero', '`exp` written 1700000300.0: printed 1700000300 (expiresAt too).', { exp: '1700000300.0' }, { expiresAt: 1700000300 }),
    printed('exp-fraction', '`exp` with a fraction, 1700000300.25: printed as written.', { exp: '1700000300.25' }),
    printed('exp-exponent-with-fraction-digits', '`exp` written 17000003.005E2: printed 1700000300.5.', { exp: '17000003.005E2' }),
    printed('integer-above-2-53', 'A claim 12345678901234567890 (above 2^53): the nearest double, printed 12345678901234567000.', { counter: '12345678901234567890' }),
    printed('integer-2-53-plus-1', 'A claim 9007199254740993 (2^53 + 1): the nearest double is 2^53, printed 9007199254740992.', { counter: '9007199254740993' }),
    printed('integer-2-53', 'A claim 9007199254740992 (2^53) printed as written.', { counter: '9007199254740992' }),
    printed('negative-zero-fraction', 'A claim -0.0: printed 0.', { zero: '-0.0' }),
    printed('negative-zero-integer', 'A claim -0: printed 0.', { zero: '-0' }),
    printed('one-point-zero', 'A claim 1.0 and 100E-2: both printed 1.', { one: '1.0', alsoOne: '100E-2' }),
    printed('exponent-21', 'A claim 1e21: printed 1e+21 (exponent form from 10^21).', { big: '1e21' }),
    printed('exponent-20', 'A claim 1e20: printed 100000000000000000000 (below 10^21, digits).', { big: '1e20' }),
    printed('digits-with-zeros', 'A claim 123456789012345678901 (above 2^53, below 10^21): printed 123456789012345680000.', { big: '123456789012345678901' }),
    printed('small-fraction', 'A claim 0.000001: printed 0.000001 (from 10^-6 digits).', { small: '0.000001' }),
    printed('smaller-fraction', 'A claim 0.0000001: printed 1e-7 (below 10^-6, exponent form, no zero padding).', { small: '0.0000001' }),
    printed('negative-small', 'A claim -1.5e-10: printed -1.5e-10.', { small: '-1.5e-10' }),
    printed('smallest-subnormal', 'A claim 5e-324: printed 5e-324.', { tiny: '5e-324' }),
    printed('largest-double', 'A claim 1.7976931348623157e308: printed 1.7976931348623157e+308.', { huge: '1.7976931348623157e308' }),
    printed('shortest-round-trip', 'A claim 0.1 + 0.2 written 0.30000000000000004: printed as written; 0.3 stays 0.3.', { sum: '0.30000000000000004', third: '0.3' }),
    printed('many-digits', 'A claim 3.14159265358979323846264338327950288: printed 3.141592653589793.', { pi: '3.14159265358979323846264338327950288' }),
    printed('nested', 'Numbers inside arrays and objects of a claim are printed the same way.', { nested: '{"list":[1.0,-0.0,1e21,2.50,1E-7],"deep":{"n":12345678901234567890}}' }),
  ],
})
