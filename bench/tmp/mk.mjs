import { writeFileSync } from 'node:fs'
import { BENCH_AUDIENCE, BENCH_ISSUER, distinctAssertions } from '../bench-issuer.mjs'
const { jwk, assertions } = await distinctAssertions('RS256', 8200)
writeFileSync('/tmp/assert.json', JSON.stringify({ alg: 'RS256', jwk, issuer: BENCH_ISSUER, audience: BENCH_AUDIENCE, assertions }))
