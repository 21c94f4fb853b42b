/** The claims of the demo user every scenario signs unless it needs something else. */
export const ALICE = {
  sub: 'alice-123',
  email: 'alice@example.com',
  email_verified: true,
  name: 'Alice Example',
  groups: ['staff', 'admins'],
  tenant: 'acme',
} as const

export interface WhoAmI {
  user: Record<string, unknown> | null
  identity: Record<string, unknown> | null
}

export function parseWhoAmI(body: string): WhoAmI {
  return JSON.parse(body) as WhoAmI
}
