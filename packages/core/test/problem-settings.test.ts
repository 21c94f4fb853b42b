import { describe, expect, it } from 'vitest'
import { problemOptionsFor, rememberProblemOptions, type Verifier } from '../src/index.js'

// The problem-detail setting a route guard answers with is the one of the last middleware that saw the request.
const verifierWith = (problemDetail: 'generic' | 'diagnostic'): Verifier => ({ config: { problemDetail } }) as unknown as Verifier

describe('rememberProblemOptions', () => {
  it('answers generic for a request no middleware saw', () => {
    expect(problemOptionsFor({})).toEqual({ problemDetail: 'generic' })
  })

  it('keeps the setting of the last verifier that saw the request, generic included', () => {
    const request = {}
    rememberProblemOptions(request, verifierWith('diagnostic'))
    expect(problemOptionsFor(request)).toEqual({ problemDetail: 'diagnostic' })
    rememberProblemOptions(request, verifierWith('generic'))
    expect(problemOptionsFor(request)).toEqual({ problemDetail: 'generic' })
    rememberProblemOptions(request, verifierWith('diagnostic'))
    expect(problemOptionsFor(request)).toEqual({ problemDetail: 'diagnostic' })
  })
})
