import { expect } from 'vitest'
import { errorContract } from './error-contract.js'

export interface ReceivedResponse {
  status: number
  header(name: string): string | null
  body: string
}

export function fromFetch(response: Response, body: string): ReceivedResponse {
  return { status: response.status, header: (name) => response.headers.get(name), body }
}

export function fromRaw(raw: { status: number; headers: Record<string, string | string[] | undefined>; body: string }): ReceivedResponse {
  return {
    status: raw.status,
    header: (name) => {
      const value = raw.headers[name.toLowerCase()]
      return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value
    },
    body: raw.body,
  }
}

/**
 * The response is the contract's RFC 9457 problem for `code`: status, media type, body and challenge headers.
 * `diagnosticDetail`: the app runs with TRUSTED_PROXY_PROBLEM_DETAIL=diagnostic and the body's `detail` is the
 * contract message followed by `: <diagnosticDetail>`; without it, the contract message alone.
 */
export function expectProblem(response: ReceivedResponse, code: string, diagnosticDetail?: string): void {
  const contract = errorContract()
  const entry = contract.errors.find((candidate) => candidate.code === code)
  if (!entry) throw new Error(`unknown code ${code}`)
  expect({ status: response.status, body: response.body }).toMatchObject({ status: entry.status })
  expect(response.header('content-type') ?? '').toMatch(/^application\/problem\+json\b/)
  expect(JSON.parse(response.body)).toEqual({
    type: `${contract.problemTypeBase}${code}`,
    title: entry.title,
    status: entry.status,
    detail: diagnosticDetail === undefined ? entry.message : `${entry.message}: ${diagnosticDetail}`,
    code,
  })
  if (entry.status === 401) {
    expect(response.header('www-authenticate')).toBe(`Bearer realm="trusted-proxy", error="${entry.oauthError}"`)
  }
  if (entry.status === 503) {
    expect(response.header('retry-after')).toMatch(/^[1-9][0-9]*$/)
  }
}
