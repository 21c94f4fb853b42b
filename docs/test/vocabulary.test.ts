import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { allPages, contractDir, docsDir, readJson } from './markdown.js'

const pages = allPages()
const env = readJson<{ variables: Array<{ name: string; option: string }> }>(join(contractDir, 'env.json'))
const errors = readJson<{ errors: Array<{ code: string; oauthError: string | null }> }>(join(contractDir, 'errors.json'))
const identitySchema = readJson<{ properties: Record<string, unknown> }>(join(contractDir, 'identity.schema.json'))
const checks = readJson<{ stages: Array<{ stage: string }> }>(join(contractDir, 'checks.json'))
const presetsText = readFileSync(join(contractDir, 'presets.json'), 'utf8')
const presets = JSON.parse(presetsText) as {
  presets: Record<string, { recipe: string; example: { header: object; payload: object } }>
}
const errorCodes = new Set(errors.errors.map((entry) => entry.code))
const variableNames = new Set(env.variables.map((variable) => variable.name))

/** Words in backticks that look like error codes (snake_case) but are something else the docs name. */
function otherSnakeCaseNames(): Set<string> {
  const names = new Set<string>()
  for (const { stage } of checks.stages) names.add(stage)
  for (const { option } of env.variables) names.add(option.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`))
  const collectKeys = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(collectKeys)
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        names.add(key)
        collectKeys(value)
      }
    }
  }
  for (const preset of Object.values(presets.presets)) collectKeys(preset.example)
  // The findings of `trusted-proxy-auth doctor`.
  for (const { id } of readJson<{ findings: Array<{ id: string }> }>(join(contractDir, 'doctor.json')).findings) names.add(id)
  // The checks of enrollment (`trusted-proxy-auth enroll`, the enrollment page).
  for (const { id } of readJson<{ checks: Array<{ id: string }> }>(join(contractDir, 'enrollment.json')).checks) names.add(id)
  // RFC 6750 error values and the identity's field names in Python (snake_case).
  for (const entry of errors.errors) if (entry.oauthError) names.add(entry.oauthError)
  for (const field of Object.keys(identitySchema.properties)) names.add(field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`))
  // Events of the onEvent hook, claims, JOSE/OIDC members, and framework and proxy settings the guide names.
  for (const name of [
    'jwks_fetch_ok', 'jwks_fetch_failed', 'jwks_key_ignored', 'jwks_stale_served', 'unknown_kid', 'verify_ok',
    'verify_failed', 'enrollment_revoked', 'not_run', 'email_verified', 'common_name', 'preferred_username', 'jwks_uri', 'key_ops', 'auth_request',
    'auth_request_set', 'proxy_set_header', 'forward_auth', 'copy_headers', 'ext_authz', 'pass_identity_headers',
    'signing_key', 'allowed_upstream_headers', 'forward_payload_header', 'claim_to_headers', 'jwt_claims',
    'resolve_user', 'jwt_authn', 'identity_nonce', 'trusted_proxy_auth', 'underscores_in_headers',
    'handle_response', 'ssl_certificate', 'proxy_buffer_size', 'proxy_buffers', 'skip_provider_button',
    'set_authorization_header', 'reverse_proxy', 'error_page',
    'path_prefix', 'http_service', 'authorization_response', 'allowed_headers', 'id_token',
    // Python API names the guide uses.
    'verify_assertion', 'verify_request', 'on_event',
    // Metric names of `trusted-proxy-auth serve`.
    'trusted_proxy_auth_verifications_total', 'trusted_proxy_auth_key_fetches_total', 'trusted_proxy_auth_key_set_age_seconds',
    'trusted_proxy_auth_verify_duration_seconds',
  ]) {
    names.add(name)
  }
  return names
}

describe('names the guide mentions exist in the contract', () => {
  it('every TRUSTED_PROXY_* variable named in docs, the README and presets.json is defined in env.json', () => {
    const unknown: string[] = []
    const sources = [...pages.map((page) => ({ name: page.name, text: page.text })), { name: 'contract/presets.json', text: presetsText }]
    for (const { name, text } of sources) {
      for (const match of text.matchAll(/\bTRUSTED_PROXY_[A-Z0-9_]*[A-Z0-9]\b/g)) {
        if (!variableNames.has(match[0])) unknown.push(`${name}: ${match[0]}`)
      }
    }
    expect(unknown).toEqual([])
  })

  it('every error code named in the docs is defined in errors.json', () => {
    const allowed = otherSnakeCaseNames()
    const unknown: string[] = []
    for (const page of pages) {
      for (const match of page.text.matchAll(/`([a-z][a-z0-9]*(?:_[a-z0-9]+)+)`/g)) {
        const word = match[1]!
        if (!errorCodes.has(word) && !allowed.has(word)) unknown.push(`${page.name}: ${word}`)
      }
      for (const match of page.text.matchAll(/"code":\s*"([^"]+)"/g)) {
        if (!errorCodes.has(match[1]!)) unknown.push(`${page.name}: "code": "${match[1]}"`)
      }
      for (const match of page.text.matchAll(/\b(?:401|403|500|503)\s+`([a-z_]+)`/g)) {
        if (!errorCodes.has(match[1]!)) unknown.push(`${page.name}: status followed by ${match[1]}`)
      }
    }
    expect(unknown).toEqual([])
  })

  it('the guide explains every error code outside the generated reference', () => {
    const prose = pages.filter((page) => !page.name.startsWith('docs/reference/')).map((page) => page.text).join('\n')
    const unexplained = [...errorCodes].filter((code) => !prose.includes(`\`${code}\``))
    expect(unexplained).toEqual([])
  })
})

const recipesDir = join(docsDir, 'proxies')
const recipes = readdirSync(recipesDir).filter((name) => name.endsWith('.md') && name !== 'README.md')
const recipePage = (file: string) => pages.find((page) => page.path === join(recipesDir, file))!

describe('proxy recipes', () => {
  it('exist for every preset and for the forward-auth transports', () => {
    for (const [name, preset] of Object.entries(presets.presets)) expect(recipes, name).toContain(preset.recipe.replace('docs/proxies/', ''))
    for (const file of ['envoy-ext-authz.md', 'traefik-forwardauth.md', 'nginx-auth-request.md', 'caddy-forward-auth.md']) expect(recipes).toContain(file)
  })

  for (const file of recipes) {
    it(`${file} shows the Node (Express) and Python (FastAPI) integration`, () => {
      const page = recipePage(file)
      const ts = page.codeBlocks.filter((block) => block.lang === 'ts').map((block) => block.content).join('\n')
      const python = page.codeBlocks.filter((block) => block.lang === 'python').map((block) => block.content).join('\n')
      expect(ts).toContain("from '@mieweb/trusted-proxy-auth-express'")
      expect(ts).toContain('app.use(trustedProxyAuth(')
      expect(ts).toContain('req.user')
      expect(python).toContain('from trusted_proxy_auth.asgi import TrustedProxyAuthMiddleware')
      expect(python).toContain('app.add_middleware(TrustedProxyAuthMiddleware')
      expect(python).toContain('request.state.user')
      expect(page.codeBlocks.some((block) => block.lang === 'sh' && block.content.includes('TRUSTED_PROXY_'))).toBe(true)
      expect(page.links.some((link) => link.target.includes('security-model.md'))).toBe(true)
    })
  }

  for (const [name, preset] of Object.entries(presets.presets)) {
    it(`${preset.recipe} selects preset ${name}`, () => {
      const page = recipePage(preset.recipe.replace('docs/proxies/', ''))
      expect(page.text).toContain(`TRUSTED_PROXY_PRESET=${name}`)
      expect(page.links.some((link) => link.target.endsWith(`presets.md#${name}`))).toBe(true)
    })
  }

  it('the NGINX recipe says NGINX forwards the assertion and is not its issuer', () => {
    const text = recipePage('nginx-auth-request.md').prose.replace(/\s+/g, ' ')
    expect(text).toContain('NGINX is forwarding an assertion generated or returned by the authorization service. NGINX itself is not acting as the identity issuer.')
  })
})

describe('seed 004 acceptance criteria', () => {
  const headingsOf = (path: string) => pages.find((page) => page.path === join(docsDir, path))!.headings.map((h) => h.toLowerCase())
  const textOf = (path: string) => pages.find((page) => page.path === join(docsDir, path))!.text.replace(/\s+/g, ' ')

  it('documents the architecture and identity-aware proxy concepts', () => {
    const headings = headingsOf('architecture.md')
    for (const term of ['trusted proxy identity', 'forward auth', 'external authorization', 'identity-aware prox', 'signed identity assertion']) {
      expect(headings.some((heading) => heading.includes(term)), term).toBe(true)
    }
  })

  it('documents the security model, trust mechanisms and the "Do not do this" list', () => {
    const headings = headingsOf('security-model.md')
    expect(headings).toContain('do not do this')
    const text = textOf('security-model.md')
    for (const header of ['X-Forwarded-User', 'X-User', 'Remote-User', 'X-Email']) expect(text).toContain(header)
    for (const bad of ['because the proxy sets it', 'internal network', 'TLS terminated', 'directly supply identity headers']) expect(text).toContain(bad)
    for (const mechanism of ['Signed JWT/JWS assertions', 'mTLS', 'Request signing', 'Private networking']) expect(text).toContain(mechanism)
  })

  it('documents the minimal application contract, why the pattern exists, the ecosystem gap and the middleware', () => {
    expect(headingsOf('application-contract.md')).toContain('minimal application contract')
    expect(headingsOf('why-this-pattern.md')).toEqual(expect.arrayContaining(['why this pattern exists', 'the ecosystem gap']))
    expect(textOf('why-this-pattern.md')).toContain('A trusted upstream component authenticated the user and provided a cryptographically verifiable identity assertion.')
    const middleware = textOf('middleware.md')
    for (const name of ['@mieweb/trusted-proxy-auth', 'trusted-proxy-auth']) expect(middleware).toContain(name)
  })

  it('documents trust onboarding: one-click enrollment, continuous verification', () => {
    const text = textOf('trust-onboarding.md')
    expect(text).toContain('Single-click enrollment. Continuous verification.')
    expect(text.toLowerCase()).toContain('trust the proxy forever')
  })

  it('states the design principles prominently', () => {
    const headings = headingsOf('design-principles.md')
    for (const principle of ['trust cryptographic assertions, not infrastructure brands', 'authentication infrastructure should be replaceable', 'identity is a contract']) {
      expect(headings).toContain(principle)
    }
  })

  it('presents Cloudflare as one example among many', () => {
    const general = pages.filter((page) => !page.name.startsWith('docs/reference/') && !page.name.endsWith('cloudflare-access.md'))
    const count = (word: string) => general.reduce((sum, page) => sum + (page.prose.match(new RegExp(word, 'g'))?.length ?? 0), 0)
    expect(count('Cloudflare')).toBeLessThan(count('Pomerium'))
    for (const page of general) {
      for (const heading of page.headings) expect(heading, `${page.name}: a heading about Cloudflare`).not.toMatch(/cloudflare/i)
    }
  })
})
