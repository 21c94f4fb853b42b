/** The person the demo proxy "logs in": every request through the proxy carries this identity. */
export const DEMO_USER = {
  sub: 'ada-1815',
  email: 'ada@example.com',
  email_verified: true,
  name: 'Ada Lovelace',
  groups: ['engineering', 'admins'],
} as const

/** The header the proxy writes the signed assertion into (and strips from incoming requests). */
export const ASSERTION_HEADER = 'X-Identity-Assertion'

/** The audience the proxy signs for: the app behind it. */
export const APP_AUDIENCE = 'https://app.demo.test'
