import type { TrustedIdentity, TrustedProxyAuthConfig } from '@mieweb/trusted-proxy-auth'

const encoder = new TextEncoder()

function percentEncoded(character: string): string {
  let out = ''
  for (const byte of encoder.encode(character)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  return out
}

/**
 * A claim as a header value that is never passed raw: printable ASCII stays as it is, while every other
 * character, every `%` (so decoding is unambiguous), a leading or trailing space and, in a list item, `,`
 * become the `%XX` of their UTF-8 bytes (RFC 8187 section 3.2.1 `pct-encoded`). Percent-decoding the
 * value as UTF-8 gives the claim back exactly; plain ASCII names and emails read the same either way.
 * A lone surrogate becomes U+FFFD (it has no UTF-8 form).
 */
export function encodeHeaderValue(value: string, listItem = false): string {
  const characters = [...value]
  let out = ''
  characters.forEach((character, index) => {
    const code = character.codePointAt(0)!
    const edgeSpace = code === 0x20 && (index === 0 || index === characters.length - 1)
    const plain = code >= 0x20 && code <= 0x7e && character !== '%' && !(listItem && character === ',') && !edgeSpace
    out += plain ? character : percentEncoded(character)
  })
  return out
}

/** The `/verify` answer headers for an identity (TRUSTED_PROXY_SERVE_*_HEADER); absent values are left out. */
export function identityHeaders(identity: TrustedIdentity, config: TrustedProxyAuthConfig): Record<string, string> {
  const headers: Record<string, string> = { [config.serveUserHeader]: encodeHeaderValue(identity.subject) }
  if (identity.email !== null) headers[config.serveEmailHeader] = encodeHeaderValue(identity.email)
  if (identity.name !== null) headers[config.serveNameHeader] = encodeHeaderValue(identity.name)
  if (identity.groups.length > 0) headers[config.serveGroupsHeader] = identity.groups.map((group) => encodeHeaderValue(group, true)).join(',')
  return headers
}
