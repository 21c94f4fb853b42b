import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { createVerifier, loadConfig, TrustedProxyAuthError, type TrustedProxyAuthEvent } from '../src/index.js'
import { withoutPadding } from '../src/quirks/padded-base64url.js'

// Quirks whose rules are easier to pin here than in vectors: the shared secret's handling (authentik) and
// the padding grammar of paddedBase64url (aws-alb).

const NOW = 1_767_225_660
const SECRET = 'test-only-authentik-secret-for-unit-tests-0123456789'
const env = {
  TRUSTED_PROXY_PRESET: 'authentik',
  TRUSTED_PROXY_SHARED_SECRET: SECRET,
  TRUSTED_PROXY_ISSUER: 'https://auth.example.com/application/o/whoami/',
  TRUSTED_PROXY_AUDIENCE: 'client-id',
}

const outpostToken = (secret = SECRET, claims: Record<string, unknown> = {}): Promise<string> =>
  new SignJWT({ email: 'alice@example.com', ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(env.TRUSTED_PROXY_ISSUER)
    .setAudience(env.TRUSTED_PROXY_AUDIENCE)
    .setSubject('alice')
    .setIssuedAt(NOW - 10)
    .setExpirationTime(NOW + 300)
    .sign(new TextEncoder().encode(secret))

describe('sharedSecretHS256 (preset authentik)', () => {
  it('is ready at once, never fetches, and reports one key', async () => {
    const fetchNever = (() => {
      throw new Error('a shared-secret verifier must never fetch')
    }) as unknown as typeof fetch
    const events: TrustedProxyAuthEvent[] = []
    const verifier = createVerifier(loadConfig(env), { fetch: fetchNever, onEvent: (event) => events.push(event) })
    await verifier.ready()
    expect(verifier.status()).toMatchObject({ state: 'ready', keyCount: 1, fetchCount: 0, lastError: null })
    await expect(verifier.verifyAssertion(await outpostToken(), { now: NOW })).resolves.toMatchObject({ subject: 'alice', email: 'alice@example.com' })
    await expect(verifier.verifyAssertion(await outpostToken('another-test-only-secret-of-sufficient-length'), { now: NOW })).rejects.toMatchObject({ code: 'invalid_signature' })
    verifier.close()
    expect(events.map((event) => event.type)).toEqual(['verify_ok', 'verify_failed'])
    const visible = JSON.stringify([events, verifier.status(), verifier.config])
    expect(visible).not.toContain(SECRET)
  })

  it('keeps HS256 out of every other configuration', async () => {
    const plain = loadConfig({ TRUSTED_PROXY_ASSERTION_HEADER: 'X-A', TRUSTED_PROXY_JWKS_URL: 'https://keys.example/jwks.json', TRUSTED_PROXY_ISSUER: env.TRUSTED_PROXY_ISSUER, TRUSTED_PROXY_AUDIENCE: 'client-id' })
    const verifier = createVerifier(plain, { fetch: (async () => new Response(JSON.stringify({ keys: [] }))) as unknown as typeof fetch })
    await expect(verifier.verifyAssertion(await outpostToken(), { now: NOW })).rejects.toMatchObject({ code: 'unsupported_algorithm' })
    verifier.close()
  })

  it('never prints the secret from the command line, whatever the outcome', async () => {
    const cli = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js')
    // Standard error carries the log (the shared-secret warning); it must not name the secret either.
    const logs: string[] = []
    const run = (args: string[], environment: Record<string, string>): Promise<string> =>
      new Promise((resolve) => {
        execFile(process.execPath, [cli, ...args], { env: { PATH: process.env['PATH'] ?? '', ...environment } }, (_error, stdout, stderr) => {
          logs.push(stderr)
          resolve(stdout)
        })
      })
    const token = await outpostToken()
    const outputs = [
      await run(['verify', '--now', String(NOW), '--', token], env),
      await run(['verify', '--now', String(NOW), '--', await outpostToken(`${SECRET}-other`)], env),
      await run(['verify', '--', token], { ...env, TRUSTED_PROXY_JWKS_URL: 'https://keys.example/jwks.json' }),
      await run(['verify', '--', token], { ...env, TRUSTED_PROXY_SHARED_SECRET: SECRET.slice(0, 20) }),
    ]
    expect(JSON.parse(outputs[0]!)).toMatchObject({ ok: true, identity: { subject: 'alice' } })
    expect(JSON.parse(outputs[1]!)).toMatchObject({ ok: false, error: { code: 'invalid_signature' } })
    expect(JSON.parse(outputs[2]!)).toMatchObject({ ok: false, error: { code: 'invalid_config', problems: [{ variable: 'TRUSTED_PROXY_JWKS_URL', message: 'must not be set with preset authentik' }] } })
    expect(JSON.parse(outputs[3]!)).toMatchObject({ ok: false, error: { code: 'invalid_config', problems: [{ variable: 'TRUSTED_PROXY_SHARED_SECRET', message: 'must be at least 32 bytes' }] } })
    expect(logs.join('')).toContain('keys=shared-secret')
    for (const output of [...outputs, ...logs]) {
      expect(output).not.toContain(SECRET)
      expect(output).not.toContain(SECRET.slice(0, 20))
    }
  })

  it('refuses a short secret without naming it', () => {
    const error = (() => {
      try {
        loadConfig({ ...env, TRUSTED_PROXY_SHARED_SECRET: 'x'.repeat(31) })
      } catch (caught) {
        return caught
      }
      return null
    })()
    expect(error).toBeInstanceOf(TrustedProxyAuthError)
    expect(JSON.stringify(error) + String(error)).not.toContain('x'.repeat(31))
  })
})

describe('paddedBase64url (preset aws-alb)', () => {
  it.each([
    ['abcd', 'abcd'],
    ['abc', 'abc'],
    ['abc=', 'abc'],
    ['ab==', 'ab'],
    ['ab', 'ab'],
  ])('accepts %s as %s', (segment, unpadded) => {
    expect(withoutPadding(segment)).toBe(unpadded)
  })

  it.each(['abcd==', 'abcd=', 'ab=', 'abc==', 'a===', 'ab===', 'abcd====', '=='])('refuses the padding of %s', (segment) => {
    expect(withoutPadding(segment)).toBeNull()
  })
})
