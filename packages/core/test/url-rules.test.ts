import { describe, expect, it } from 'vitest'
import { CHECKS_CONTRACT } from '../src/generated/contract.js'
import { keyUrlProblem } from '../src/url-rules.js'

describe('key URL rules: ports the Fetch standard blocks (contract/checks.json keyUrl)', () => {
  const blocked = CHECKS_CONTRACT.keyUrl.blockedPorts

  it('refuses every blocked port and names it', () => {
    for (const port of blocked) {
      expect(keyUrlProblem(`https://keys.example:${port}/jwks.json`)).toBe(`must not use port ${port}, which the Fetch standard blocks`)
    }
  })

  it('the contract lists exactly the ports this runtime\'s fetch refuses before connecting (among 1..10100)', async () => {
    // A blocked port fails with "bad port" before any connection; any other port on 127.0.0.1 fails otherwise
    // (connection refused) or answers. Probing by the error's cause keeps this independent of what listens.
    const refusedByFetch = async (port: number): Promise<boolean> => {
      try {
        await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) })
        return false
      } catch (error) {
        return (error as { cause?: { message?: string } }).cause?.message === 'bad port'
      }
    }
    const candidates = [...new Set([...blocked, ...blocked.map((port) => port + 1), 2, 80, 443, 8080, 10081])]
    const verdicts = await Promise.all(candidates.map(async (port) => [port, await refusedByFetch(port)] as const))
    expect(verdicts.filter(([, refused]) => refused).map(([port]) => port).sort((a, b) => a - b)).toEqual([...blocked])
  })

  it('default ports and ordinary ones pass', () => {
    expect(keyUrlProblem('https://keys.example/jwks.json')).toBeNull()
    expect(keyUrlProblem('https://keys.example:8443/jwks.json')).toBeNull()
    expect(keyUrlProblem('http://127.0.0.1:2/jwks.json')).toBeNull()
  })
})
