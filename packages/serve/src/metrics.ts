import type { TrustedProxyAuthEvent, Verifier } from '@mieweb/trusted-proxy-auth'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

/** The edge verifier's Prometheus metrics, on a registry of its own (never the process-global one). */
export interface ServeMetrics {
  readonly registry: Registry
  /** One verification's outcome: `ok`, `anonymous` (mode optional, no assertion) or the contract error code. */
  observeVerification(outcome: string, seconds: number): void
  /** The verifier's events: key fetches are counted by result. */
  onEvent(event: TrustedProxyAuthEvent): void
}

export function createServeMetrics(getVerifier: () => Verifier | null, clock: () => number = Date.now): ServeMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const verifications = new Counter({
    name: 'trusted_proxy_auth_verifications_total',
    help: 'Verifications answered by /verify, by outcome (ok, anonymous, or the contract error code)',
    labelNames: ['outcome'],
    registers: [registry],
  })
  const keyFetches = new Counter({
    name: 'trusted_proxy_auth_key_fetches_total',
    help: 'Key set (and discovery) loads, by result (ok, failed)',
    labelNames: ['result'],
    registers: [registry],
  })
  const latency = new Histogram({
    name: 'trusted_proxy_auth_verify_duration_seconds',
    help: 'Time from request to answer on /verify, in seconds',
    labelNames: ['outcome'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  })
  new Gauge({
    name: 'trusted_proxy_auth_key_set_age_seconds',
    help: 'Seconds since the key set was last loaded successfully (-1 before the first load)',
    registers: [registry],
    collect() {
      const success = getVerifier()?.status().lastSuccessAt ?? null
      this.set(success === null ? -1 : Math.max(0, (clock() - success) / 1000))
    },
  })
  for (const result of ['ok', 'failed']) keyFetches.inc({ result }, 0)
  // The success path is the hot one: its label children are looked up once.
  const okCount = verifications.labels('ok')
  const okLatency = latency.labels('ok')
  okCount.inc(0)
  return {
    registry,
    observeVerification(outcome, seconds) {
      if (outcome === 'ok') {
        okCount.inc()
        okLatency.observe(seconds)
        return
      }
      verifications.inc({ outcome })
      latency.observe({ outcome: outcome === 'anonymous' ? outcome : 'rejected' }, seconds)
    },
    onEvent(event) {
      if (event.type === 'jwks_fetch_ok') keyFetches.inc({ result: 'ok' })
      else if (event.type === 'jwks_fetch_failed') keyFetches.inc({ result: 'failed' })
    },
  }
}
