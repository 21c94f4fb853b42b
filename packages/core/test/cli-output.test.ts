import { describe, expect, it } from 'vitest'
import { identitySummary } from '../src/cli/output.js'
import type { TrustedIdentity } from '../src/identity.js'

describe('the terminal summary of a verified identity', () => {
  it('escapes control characters in signed claims, so a display name cannot drive the terminal', () => {
    const identity: TrustedIdentity = {
      subject: 'user-1\u001b[2J',
      email: 'a@example.com',
      emailVerified: true,
      name: '\u001b]0;pwned\u0007 Evil\u2028',
      groups: ['ops\u009b31m'],
      issuer: 'https://proxy.example',
      audience: ['app'],
      issuedAt: null,
      expiresAt: 1700000000,
      claims: {},
    }
    const summary = identitySummary(identity)
    // eslint-disable-next-line no-control-regex -- the point is to find raw control characters
    expect(summary).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028]/)
    expect(summary).toContain('  subject:   user-1\\u001b[2J\n')
    expect(summary).toContain('  name:      \\u001b]0;pwned\\u0007 Evil\\u2028\n')
    expect(summary).toContain('  groups:    ops\\u009b31m\n')
  })
})
