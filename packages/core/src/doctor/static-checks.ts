import type ipaddr from 'ipaddr.js'
import type { TrustedProxyAuthConfig } from '../config.js'
import type { TrustedProxyAuthError } from '../errors.js'
import { finding, MAX_CLOCK_TOLERANCE_SECONDS, unsignedIdentityHeaders, type Finding } from './findings.js'

/** Findings for a configuration that does not load: a missing issuer or audience by name, every other problem as config_invalid. */
export function configProblemFindings(error: TrustedProxyAuthError): Finding[] {
  return (error.problems ?? []).map((problem) => {
    if (problem.message === 'is required' && problem.variable === 'TRUSTED_PROXY_ISSUER') return finding('issuer_missing')
    if (problem.message === 'is required' && problem.variable === 'TRUSTED_PROXY_AUDIENCE') return finding('audience_missing')
    return finding('config_invalid', `${problem.variable} ${problem.message}`)
  })
}

/** The audit of a loaded configuration that needs no network (seed 003's `security audit`). */
export function staticFindings(config: TrustedProxyAuthConfig): Finding[] {
  const findings: Finding[] = []
  const header = config.assertionHeader.toLowerCase()
  if (unsignedIdentityHeaders().has(header)) findings.push(finding('unsigned_identity_header', config.assertionHeader))
  if (header === 'cookie') findings.push(finding('assertion_header_cookie'))
  if (header === 'authorization') findings.push(finding('assertion_header_authorization'))
  for (const [address, prefixLength] of config.trustedAddresses) {
    // An IPv4-mapped range (::ffff:0:0/96) is the IPv4 range it maps, as the peer check treats it.
    const mappedIpv4 = address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()
    if (prefixLength === 0 || (mappedIpv4 && prefixLength <= 96)) findings.push(finding('trusted_addresses_everything', address.kind() === 'ipv4' || mappedIpv4 ? '0.0.0.0/0' : '::/0'))
  }
  if (config.trustedAddresses.length === 0) findings.push(finding(config.mode === 'optional' ? 'optional_without_trusted_addresses' : 'no_trusted_addresses'))
  if (config.keySource.kind === 'sharedSecret') findings.push(finding('shared_secret'))
  // Several trusted issuers: TRUSTED_PROXY_ISSUERS entries, or several TRUSTED_PROXY_ISSUER values sharing one key source.
  const trustedIssuers = config.issuers.length > 0 ? config.issuers.length : config.issuer.length
  if (config.allowedUsers.length > 0 && trustedIssuers > 1) findings.push(finding('allowed_users_several_issuers', `${trustedIssuers} issuers`))
  if (config.clockTolerance > MAX_CLOCK_TOLERANCE_SECONDS) findings.push(finding('clock_tolerance_large', `${config.clockTolerance} seconds`))
  return findings
}
