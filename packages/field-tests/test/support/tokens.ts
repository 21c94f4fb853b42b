/** The payload of a compact JWS, read without verifying it (the test only needs `exp` and `kid`). */
export function unverifiedParts(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [header, payload] = token.split('.')
  const decode = (part: string | undefined): Record<string, unknown> => JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as Record<string, unknown>
  return { header: decode(header), payload: decode(payload) }
}
