import type * as NodeFs from 'node:fs'
import { quoted } from '../detail-text.js'
import { TrustedProxyAuthError } from '../errors.js'
import type { EventListener } from '../events.js'
import { FetchFailure } from '../key-fetch.js'
import { LocalFileError, readLocalTextFile } from '../local-file.js'
import { holdsKey } from '../key-identity.js'
import { unusableReason, type PublicJwk } from '../key-set.js'
import { MAX_KEY_SET_BYTES, parseKeySetDocument } from '../key-set-document.js'
import type { KeyStatus } from '../key-store.js'

/** A changed key file is noticed within this time: its identity (mtime, size, inode) is compared at most this often. */
export const KEY_FILE_CHECK_INTERVAL_MS = 1000

export interface LocalKeyStoreOptions {
  /** TRUSTED_PROXY_JWKS_FILE: the file is read on first use and re-read when it changes. */
  path?: string
  /** TRUSTED_PROXY_JWKS: members already parsed (and checked for private material) by loadConfig. */
  members?: readonly PublicJwk[]
  onEvent: EventListener
  /** Milliseconds since the epoch; injectable for tests. */
  clock: () => number
}

type NodeFileSystem = typeof NodeFs

function fileSystem(): NodeFileSystem {
  // Looked up lazily, like the config file, so that the verifier loads on runtimes without `node:fs`.
  const fs = globalThis.process?.getBuiltinModule?.('node:fs') as NodeFileSystem | undefined
  if (!fs) throw new FetchFailure('no file system')
  return fs
}

/** What identifies one version of the file: a rename over it changes the inode, an edit in place mtime or size. */
function fileIdentity(stat: NodeFs.BigIntStats): string {
  return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}`
}

/**
 * A key set that is not fetched: inline in the configuration (fixed), or a local file, re-read when its
 * identity changes (checked at most once per KEY_FILE_CHECK_INTERVAL_MS, on use). The same key usability rules
 * as a fetched set apply. A file that cannot be used (missing, unreadable, over 1 MiB, not a key set, private
 * key material) makes every lookup fail with `jwks_unavailable`, its detail naming the file and the cause:
 * there is no stale period, because nothing is fetched in flight (the file is replaced by a rename).
 */
export class LocalKeyStore {
  private members: PublicJwk[] = []
  private loaded = false
  private identity: string | null = null
  private checkedAt = Number.NEGATIVE_INFINITY
  private lastError: string | null = null
  private lastReadAt: number | null = null
  private successAt: number | null = null
  private readCount = 0

  constructor(private readonly options: LocalKeyStoreOptions) {
    if (options.members) {
      this.install(options.members)
      this.successAt = null
    }
  }

  start(): void {
    this.check(true)
  }

  close(): void {}

  /** Resolves when the key set is usable now; rejects with jwks_unavailable naming the cause. */
  ready(): Promise<void> {
    this.check(true)
    return this.loaded ? Promise.resolve() : Promise.reject(this.unavailable())
  }

  status(): KeyStatus {
    return {
      state: this.loaded ? 'ready' : this.lastError === null ? 'loading' : 'unavailable',
      keyCount: this.members.length,
      lastFetchAt: this.lastReadAt,
      lastSuccessAt: this.successAt,
      lastError: this.lastError,
      nextRetryAt: null,
      fetchCount: this.readCount,
    }
  }

  /** The members published with `kid` (or all of them without a kid); throws jwks_unavailable. */
  membersFor(kid: string | undefined): Promise<PublicJwk[]> {
    this.check(false)
    if (!this.loaded) return Promise.reject(this.unavailable())
    return Promise.resolve(kid === undefined ? [...this.members] : this.members.filter((member) => member.kid === kid))
  }

  /** The same members without waiting (the file check is synchronous); null when none can be used. */
  membersNow(kid: string | undefined): PublicJwk[] | null {
    this.check(false)
    if (!this.loaded) return null
    return kid === undefined ? [...this.members] : this.members.filter((member) => member.kid === kid)
  }

  /** A kid-less assertion found no key: the file may have just been replaced (still throttled). */
  refetchForKidlessAssertion(): Promise<void> {
    this.check(false)
    return Promise.resolve()
  }

  /**
   * Whether `member` is in the current set: what a remembered verification needs. A file is checked first
   * (at most once per interval), so a remembered verification ends once its key has left the file.
   */
  holdsFresh(member: PublicJwk): boolean {
    this.check(false)
    return this.loaded && holdsKey(this.members, member)
  }

  private unavailable(): TrustedProxyAuthError {
    return new TrustedProxyAuthError('jwks_unavailable', { retryAfter: 1, detail: this.lastError ?? 'no key set loaded yet' })
  }

  /** Re-reads the file when its identity changed since the last check (at most once per interval unless `now`). */
  private check(now: boolean): void {
    const path = this.options.path
    if (path === undefined) return
    const at = this.options.clock()
    if (!now && at - this.checkedAt < KEY_FILE_CHECK_INTERVAL_MS) return
    this.checkedAt = at
    let text: string
    let identity: string
    try {
      const fs = fileSystem()
      let stat: NodeFs.BigIntStats
      try {
        stat = fs.statSync(path, { bigint: true })
      } catch (error) {
        throw new FetchFailure((error as { code?: unknown }).code === 'ENOENT' ? 'not found' : 'cannot be read')
      }
      identity = fileIdentity(stat)
      if (identity === this.identity) return
      if (!stat.isFile()) throw new FetchFailure('cannot be read')
      if (stat.size > BigInt(MAX_KEY_SET_BYTES)) throw new FetchFailure(`larger than ${MAX_KEY_SET_BYTES} bytes`)
      try {
        // Checked again on the opened file (it may have been swapped for a FIFO or a larger file since the stat).
        // A leading byte order mark is dropped, as a fetched set's decoder does.
        text = readLocalTextFile(fs, path, MAX_KEY_SET_BYTES).replace(/^\uFEFF/, '')
      } catch (error) {
        throw new FetchFailure(error instanceof LocalFileError ? error.message : 'cannot be read')
      }
      this.readCount++
      this.lastReadAt = at
      this.install(parseKeySetDocument(text))
    } catch (error) {
      const cause = error instanceof FetchFailure ? error.message : 'cannot be read'
      const reason = `key file ${quoted(path)}: ${cause}`
      this.members = []
      this.loaded = false
      // The same bad file is not reported again until it changes.
      this.identity = null
      if (this.lastError !== reason) this.options.onEvent({ type: 'jwks_fetch_failed', url: path, durationMs: 0, reason: cause })
      this.lastError = reason
      return
    }
    this.identity = identity
    this.successAt = at
    this.lastError = null
    this.options.onEvent({ type: 'jwks_fetch_ok', url: path, durationMs: 0, keyCount: this.members.length, ignoredCount: this.ignoredCount })
  }

  private ignoredCount = 0

  private install(all: readonly PublicJwk[]): void {
    const usable: PublicJwk[] = []
    this.ignoredCount = 0
    for (const member of all) {
      const reason = unusableReason(member)
      if (reason) {
        this.ignoredCount++
        this.options.onEvent({ type: 'jwks_key_ignored', kid: typeof member.kid === 'string' ? member.kid : null, reason })
      } else {
        usable.push(member)
      }
    }
    this.members = usable
    this.loaded = true
  }
}
