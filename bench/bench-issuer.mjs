// The benches' one issuer: an RS256 key pair, the assertion the HTTP benches send on every request, and a loopback
// key set server. Shared so that every bench measures the same token shape (its claims decide the identity's cost).
import { createServer } from 'node:http'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'

export const BENCH_ISSUER = 'https://bench.example'
export const BENCH_AUDIENCE = 'bench'

/**
 * A fresh RS256 key pair (kid `bench`): its public key, its public JWK, and one assertion valid for `lifetime` (a jose time span,
 * e.g. '2h') with the identity claims a proxy sends (sub, email, name, groups).
 */
export async function benchIssuer(lifetime = '2h') {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true })
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' }
  const token = await new SignJWT({ sub: 'bench', email: 'bench@example.com', name: 'Bench User', groups: ['a', 'b'] })
    .setProtectedHeader({ alg: 'RS256', kid: 'bench' })
    .setIssuer(BENCH_ISSUER)
    .setAudience(BENCH_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(lifetime)
    .sign(privateKey)
  return { publicKey, jwk, token }
}

/**
 * A fresh key pair for `alg` (kid `<alg>-1`) and `count` distinct assertions it signed (sub `user-<i>`, an email,
 * two groups; valid for 2 h): the verifier benches' distinct traffic. Resolves to `{ jwk, assertions }`.
 */
export async function distinctAssertions(alg, count) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = { ...(await exportJWK(publicKey)), kid: `${alg}-1`, alg, use: 'sig' }
  const assertions = []
  for (let i = 0; i < count; i++) {
    assertions.push(
      await new SignJWT({ sub: `user-${i}`, email: `user-${i}@example.com`, groups: ['a', 'b'] })
        .setProtectedHeader({ alg, kid: jwk.kid, typ: 'JWT' })
        .setIssuer(BENCH_ISSUER)
        .setAudience(BENCH_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime('2h')
        .sign(privateKey),
    )
  }
  return { jwk, assertions }
}

/** Serves `{ keys }` on 127.0.0.1 (any path, a free port); resolves to the listening server. */
export async function serveKeySet(keys) {
  // connection: close: a client reusing a kept-alive socket the server has just timed out gets ECONNRESET (seen
  // aborting a run on a slow host); key fetches are few and never timed, so each takes a connection of its own.
  const body = JSON.stringify({ keys })
  const server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json', connection: 'close' }).end(body))
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return server
}
