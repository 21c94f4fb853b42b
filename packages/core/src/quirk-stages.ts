import type { TrustedProxyAuthConfig } from './config.js'

type JsonObject = Readonly<Record<string, unknown>>

/**
 * What one quirk of contract/presets.json changes, by the stage of contract/checks.json it plugs into. The
 * stages call these without knowing which proxy needs them: each quirk's module in quirks/ builds its plugs,
 * and quirks/index.ts (the only module that names the quirks) combines a configuration's into QuirkStages.
 * Every plug is optional; a stage without one runs its plain rules.
 */
export interface StagePlugs {
  readonly syntax?: {
    /** The text the base64url check decodes, from a segment as received; null: malformed_assertion. */
    readonly segment: (received: string) => string | null
  }
  readonly keyLookup?: {
    /** false: unknown_key before any key lookup, cache or fetch. A function of the kid alone: the verifier keeps its verdict with the header's. */
    readonly kidAccepted?: (kid: string | undefined) => boolean
    /** An assertion without `kid` may be verified by any key of the set (refetched once when none does). */
    readonly kidlessTriesEveryKey?: boolean
  }
  readonly claimTypes?: {
    /** Payload claims that must be strings when present (beyond the contract's own). */
    readonly payloadStrings?: readonly string[]
    /** Header members that must be strings when present (claim_types) and must be present (claim_presence). */
    readonly requiredHeaderStrings?: readonly string[]
    /** The detail of a header member of the wrong type, or null (malformed_assertion). */
    readonly headerTypes?: (header: JsonObject) => string | null
  }
  readonly claimPresence?: {
    /** Where the issuer is read (default: payload `iss`); undefined: missing_claim. */
    readonly issuer?: (header: JsonObject, payload: JsonObject) => string | undefined
    /** Where the expiry is read (default: payload `exp`); undefined: missing_claim. */
    readonly expiry?: (header: JsonObject, payload: JsonObject) => number | undefined
    /** The subject when the subject claim is absent or empty; null (the default): missing_claim. */
    readonly subject?: (payload: JsonObject) => string | null
    /** `aud` may be absent: the audience is bound by claimValues.audience instead. */
    readonly audienceOptional?: boolean
  }
  readonly claimValues?: {
    /** Runs before the issuer check; throws the stage's error (issuer_mismatch). */
    readonly beforeIssuer?: (header: JsonObject, payload: JsonObject) => void
    /** identity.audience from elsewhere than `aud`; throws audience_mismatch. */
    readonly audience?: (header: JsonObject, config: TrustedProxyAuthConfig) => readonly string[]
  }
  readonly identity?: {
    /** identity.emailVerified from the `email_verified` claim (undefined when absent). */
    readonly emailVerified?: (value: unknown) => boolean | null
  }
}

/** The plugs of every quirk a configuration switches on, combined: what the stages read. */
export interface QuirkStages {
  readonly segment: ((received: string) => string | null) | null
  readonly kidAccepted: ((kid: string | undefined) => boolean) | null
  readonly kidlessTriesEveryKey: boolean
  readonly payloadStrings: readonly string[]
  readonly requiredHeaderStrings: readonly string[]
  readonly headerTypes: ((header: JsonObject) => string | null) | null
  readonly issuer: ((header: JsonObject, payload: JsonObject) => string | undefined) | null
  readonly expiry: ((header: JsonObject, payload: JsonObject) => number | undefined) | null
  readonly subject: ((payload: JsonObject) => string | null) | null
  readonly audienceOptional: boolean
  readonly beforeIssuer: readonly ((header: JsonObject, payload: JsonObject) => void)[]
  readonly audience: ((header: JsonObject, config: TrustedProxyAuthConfig) => readonly string[]) | null
  readonly emailVerified: ((value: unknown) => boolean | null) | null
}

/** No quirk: the plain rules of contract/checks.json. */
export const NO_QUIRK_STAGES: QuirkStages = Object.freeze({
  segment: null,
  kidAccepted: null,
  kidlessTriesEveryKey: false,
  payloadStrings: Object.freeze([]),
  requiredHeaderStrings: Object.freeze([]),
  headerTypes: null,
  issuer: null,
  expiry: null,
  subject: null,
  audienceOptional: false,
  beforeIssuer: Object.freeze([]),
  audience: null,
  emailVerified: null,
})

/**
 * The plugs of several quirks as one QuirkStages, in the order given (the contract's order of its quirks):
 * lists are joined in that order; a plug that decides alone (where the issuer is read, the audience, …) may come
 * from one quirk only.
 * @throws TypeError when two quirks plug the same single plug (a contract that combined them would need a rule for it).
 */
export function combineStagePlugs(plugs: readonly (readonly [quirk: string, plugs: StagePlugs])[]): QuirkStages {
  const owners = new Map<string, string>()
  const single = <T>(current: T | null, next: T | undefined, name: string, quirk: string): T | null => {
    if (next === undefined) return current
    const owner = owners.get(name)
    if (owner !== undefined) throw new TypeError(`quirks ${owner} and ${quirk} both plug ${name}`)
    owners.set(name, quirk)
    return next
  }
  let stages: QuirkStages = NO_QUIRK_STAGES
  for (const [quirk, plug] of plugs) {
    stages = {
      segment: single(stages.segment, plug.syntax?.segment, 'syntax.segment', quirk),
      kidAccepted: single(stages.kidAccepted, plug.keyLookup?.kidAccepted, 'keyLookup.kidAccepted', quirk),
      kidlessTriesEveryKey: stages.kidlessTriesEveryKey || plug.keyLookup?.kidlessTriesEveryKey === true,
      payloadStrings: [...stages.payloadStrings, ...(plug.claimTypes?.payloadStrings ?? [])],
      requiredHeaderStrings: [...stages.requiredHeaderStrings, ...(plug.claimTypes?.requiredHeaderStrings ?? [])],
      headerTypes: single(stages.headerTypes, plug.claimTypes?.headerTypes, 'claimTypes.headerTypes', quirk),
      issuer: single(stages.issuer, plug.claimPresence?.issuer, 'claimPresence.issuer', quirk),
      expiry: single(stages.expiry, plug.claimPresence?.expiry, 'claimPresence.expiry', quirk),
      subject: single(stages.subject, plug.claimPresence?.subject, 'claimPresence.subject', quirk),
      audienceOptional: stages.audienceOptional || plug.claimPresence?.audienceOptional === true,
      beforeIssuer: plug.claimValues?.beforeIssuer ? [...stages.beforeIssuer, plug.claimValues.beforeIssuer] : stages.beforeIssuer,
      audience: single(stages.audience, plug.claimValues?.audience, 'claimValues.audience', quirk),
      emailVerified: single(stages.emailVerified, plug.identity?.emailVerified, 'identity.emailVerified', quirk),
    }
  }
  return Object.freeze({
    ...stages,
    payloadStrings: Object.freeze([...stages.payloadStrings]),
    requiredHeaderStrings: Object.freeze([...stages.requiredHeaderStrings]),
    beforeIssuer: Object.freeze([...stages.beforeIssuer]),
  })
}
