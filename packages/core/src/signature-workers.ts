import type * as Os from 'node:os'
import type * as WorkerThreads from 'node:worker_threads'
import type { ParsedCompactJws } from './compact-jws.js'
import { nodeVerify, nodeVerifyArguments, type NodeKeyObject, type NodeVerifyArguments } from './node-signature.js'
import { CONTROL, JOB_SLOTS, JOB_WORDS, MAX_WORKERS, NO_VERDICT, resultWord, SLOT_BYTES, WORKER_SOURCE } from './signature-worker-layout.js'

/**
 * Many verifications in flight on a machine with more than one core: worker threads (one per further
 * core, at most MAX_WORKERS) verify signatures alongside this thread. Each job (signing input, signature,
 * key index) goes to shared memory as it arrives and the workers take jobs in order; once a burst is
 * complete (a few microtask rounds without a new job), this thread takes and verifies every job beyond
 * the workers' backlog, and collects their verdicts (at each burst, and on a worker's message when
 * nothing else runs here). So every core computes while this thread also parses and checks claims.
 *
 * Compared with libuv's thread pool (a hop and a callback per signature; four threads, on two cores
 * competing with this one), a job costs this thread a copy of a few hundred bytes and a few atomic
 * operations, and the answers need no callback each. A worker that is slow or gone changes the speed,
 * never a verdict: each verdict is the same `crypto.verify` call with the same arguments on either
 * thread, read only when tagged with its job's number, and whatever the workers have not answered when
 * they end is verified here. Without node:worker_threads (fetch runtimes), on one core, or until the
 * workers run, callers use the thread pool.
 */

type WorkerThreadsModule = typeof WorkerThreads
/** node:worker_threads, looked up when workers are to start: absent on fetch runtimes (Hono on workers). */
const workerThreads = () => globalThis.process?.getBuiltinModule?.('node:worker_threads') as WorkerThreadsModule | undefined
const os = globalThis.process?.getBuiltinModule?.('node:os') as typeof Os | undefined
/** One worker per core besides this thread's, at most MAX_WORKERS (libuv's pool has four threads); none on one core. */
const WORKER_COUNT = Math.min(MAX_WORKERS, (os?.availableParallelism() ?? 1) - 1)

/** Verifications that took the thread pool before workers start: they start only under sustained concurrency. */
export const WORKER_START_AFTER = 256
/**
 * Jobs left to each worker when a burst is settled, at most: enough to keep it busy while this thread
 * parses the next burst (bench/ measured 16 too few for RS256 at 64 in flight), and never more than its
 * share of the unanswered jobs (this thread counting as one more), so that a small burst is shared too.
 */
const WORKER_BACKLOG = 32
/** Distinct keys one worker receives at most; past this (keys rotated many times) a fresh worker starts. */
const MAX_WORKER_KEYS = 256
/** Microtask rounds a burst may keep growing before it is settled (the callers of one burst arrive a few hops apart). */
const SETTLE_ROUNDS = 8

interface KeyEntry extends NodeVerifyArguments {
  readonly index: number
}

interface Job {
  readonly number: number
  readonly key: KeyEntry
  readonly resolve: (valid: boolean) => void
}

/**
 * Who gave the verdicts: this thread (jobs beyond the workers' backlog, or what they had when they ended) or a
 * worker; of this thread's, those a worker handed back for want of the key (`noKey`).
 */
const counts = { main: 0, worker: 0, noKey: 0, bursts: 0, messages: 0 }

/** The workers of one start, with their own shared memory and key list: nothing is reused by a successor. */
class WorkerRun {
  private readonly control = new Int32Array(new SharedArrayBuffer(CONTROL.length * 4))
  private readonly table = new Int32Array(new SharedArrayBuffer(JOB_SLOTS * JOB_WORDS * 4))
  private readonly results = new Int32Array(new SharedArrayBuffer(JOB_SLOTS * 4))
  private readonly data = new Uint8Array(new SharedArrayBuffer(JOB_SLOTS * SLOT_BYTES))
  private readonly bytes = Buffer.from(this.data.buffer, this.data.byteOffset, this.data.byteLength)
  private readonly keys = new WeakMap<NodeKeyObject, Map<string, KeyEntry>>()
  private readonly jobs: Array<Job | undefined> = new Array(JOB_SLOTS)
  private readonly ports: WorkerThreads.MessagePort[] = []
  private readonly workers: WorkerThreads.Worker[] = []
  keyCount = 0
  /** The next job number to publish, and the oldest job not yet answered. */
  private published = 0
  private oldest = 0
  private unanswered = 0
  private settleScheduled = false
  private settleRounds = 0
  private settleSeen = 0
  private exited = false

  constructor(threads: WorkerThreadsModule, count: number) {
    for (let id = 0; id < count; id++) {
      const { port1, port2 } = new threads.MessageChannel()
      const worker = new threads.Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { control: this.control, table: this.table, results: this.results, data: this.data, port: port2, id },
        transferList: [port2],
        // A worker needs none of the process's environment (which may hold secrets).
        env: {},
      })
      // Never keeps the process alive by itself; its port does while verdicts are awaited.
      worker.unref()
      port1.on('message', () => {
        counts.messages++
        this.collect()
      })
      port1.unref()
      // An error (threads not allowed, out of memory) or an exit ends the run's help: what it had is verified here.
      worker.on('error', () => {
        unavailable = true
        this.ended()
      })
      worker.on('exit', () => this.ended())
      this.ports.push(port1)
      this.workers.push(worker)
    }
  }

  /** Whether every worker runs (before that, and after one ended, callers take the thread pool). */
  running(): boolean {
    return !this.exited && Atomics.load(this.control, CONTROL.running) === this.workers.length
  }

  /** Whether a new run may replace this one: it ended and nothing waits on it. */
  replaceable(): boolean {
    return this.exited && this.unanswered === 0
  }

  /** Whether no job waits on the workers. */
  idle(): boolean {
    return this.unanswered === 0
  }

  stop(): void {
    this.exited = true
    this.verifyAllHere()
    for (const worker of this.workers) void worker.terminate()
  }

  private refPorts(ref: boolean): void {
    for (const port of this.ports) {
      if (ref) port.ref()
      else port.unref()
    }
  }

  /** The worker's index of `key` for `alg`, sent to it first if new; null for a key node:crypto cannot use for `alg`. */
  private keyEntry(key: NodeKeyObject, alg: string): KeyEntry | null {
    let byAlg = this.keys.get(key)
    const known = byAlg?.get(alg)
    if (known) return known
    const verifyArguments = nodeVerifyArguments(key, alg)
    if (!verifyArguments) return null
    const entry: KeyEntry = { ...verifyArguments, index: this.keyCount++ }
    for (const port of this.ports) port.postMessage({ index: entry.index, digest: entry.digest, keyInput: entry.keyInput })
    if (!byAlg) this.keys.set(key, (byAlg = new Map()))
    byAlg.set(alg, entry)
    return entry
  }

  /** Publishes a job; null when it cannot go to the workers (ring full, job too large, key unusable). */
  publish(jws: ParsedCompactJws, key: NodeKeyObject, alg: string): Promise<boolean> | null {
    const number = this.published
    const slot = number & (JOB_SLOTS - 1)
    const [headerSegment, payloadSegment] = jws.segments
    const inputLength = headerSegment.length + 1 + payloadSegment.length
    const signatureLength = jws.signature.byteLength
    if (this.jobs[slot] !== undefined || inputLength + signatureLength > SLOT_BYTES) return null
    const entry = this.keyEntry(key, alg)
    if (!entry) return null
    const start = slot * SLOT_BYTES
    // The segments passed the base64url syntax check (ASCII only), exactly as received (quirk paddedBase64url).
    this.bytes.write(headerSegment, start, 'latin1')
    this.bytes[start + headerSegment.length] = 0x2e
    this.bytes.write(payloadSegment, start + headerSegment.length + 1, 'latin1')
    this.data.set(jws.signature, start + inputLength)
    const at = slot * JOB_WORDS
    this.table[at] = entry.index
    this.table[at + 1] = inputLength
    this.table[at + 2] = signatureLength
    Atomics.store(this.results, slot, 0)
    let resolveJob: ((valid: boolean) => void) | undefined
    const verdict = new Promise<boolean>((resolve) => {
      resolveJob = resolve
    })
    this.jobs[slot] = { number, key: entry, resolve: resolveJob! }
    this.unanswered++
    this.published = (number + 1) | 0
    Atomics.store(this.control, CONTROL.published, this.published)
    this.wakeOne()
    if (!this.settleScheduled) {
      this.settleScheduled = true
      queueMicrotask(() => this.settleWhenComplete())
    }
    return verdict
  }

  /** Wakes one sleeping worker for the job just published; one wake-up per sleep (a notify takes a lock). */
  private wakeOne(): void {
    for (let id = 0; id < this.workers.length; id++) {
      const wakeWord = CONTROL.wake + 2 * id
      if (Atomics.compareExchange(this.control, wakeWord + 1, 1, 0) === 1) {
        Atomics.add(this.control, wakeWord, 1)
        Atomics.notify(this.control, wakeWord)
        return
      }
    }
  }

  private settleWhenComplete(): void {
    if (this.unanswered !== this.settleSeen && this.settleRounds < SETTLE_ROUNDS) {
      this.settleSeen = this.unanswered
      this.settleRounds++
      queueMicrotask(() => this.settleWhenComplete())
      return
    }
    this.settleScheduled = false
    this.settleRounds = 0
    this.settleSeen = 0
    counts.bursts++
    this.settle()
  }

  /** Verifies job `number` on this thread, with the arguments a worker has, and answers it. */
  private verifyHere(job: Job): void {
    const slot = job.number & (JOB_SLOTS - 1)
    const at = slot * JOB_WORDS
    const start = slot * SLOT_BYTES
    const inputEnd = start + this.table[at + 1]!
    const valid = nodeVerify(job.key, this.bytes.subarray(start, inputEnd), this.bytes.subarray(inputEnd, inputEnd + this.table[at + 2]!))
    counts.main++
    this.answer(slot, job, valid)
  }

  private answer(slot: number, job: Job, valid: boolean): void {
    this.jobs[slot] = undefined
    this.unanswered--
    job.resolve(valid)
  }

  /** Takes every job beyond the workers' backlog, then collects verdicts. */
  private settle(): void {
    const workers = this.workers.length
    const backlog = workerTakesAll ? JOB_SLOTS : Math.min(WORKER_BACKLOG * workers, Math.floor((this.unanswered * workers) / (workers + 1)))
    for (;;) {
      const taken = Atomics.load(this.control, CONTROL.taken)
      if (((this.published - taken) | 0) <= backlog) break
      if (Atomics.compareExchange(this.control, CONTROL.taken, taken, (taken + 1) | 0) !== taken) continue
      this.verifyHere(this.jobs[taken & (JOB_SLOTS - 1)]!)
    }
    this.collect()
  }

  /** Answers the jobs whose verdicts are in; asks for a message when some are still with the workers. */
  private collect(): void {
    this.answerVerdicts()
    if (this.unanswered === 0) {
      this.refPorts(false)
      return
    }
    if (this.exited) {
      this.verifyAllHere()
      return
    }
    // A worker posts after its next verdict (the ports keep the process alive until then). A verdict
    // stored before the flag was set gets no message: the second look answers it.
    this.refPorts(true)
    Atomics.store(this.control, CONTROL.wantsMessage, 1)
    this.answerVerdicts()
    if (this.unanswered === 0) this.refPorts(false)
  }

  private answerVerdicts(): void {
    for (let number = this.oldest; number !== this.published; number = (number + 1) | 0) {
      const slot = number & (JOB_SLOTS - 1)
      const job = this.jobs[slot]
      if (job === undefined) continue
      const word = Atomics.load(this.results, slot)
      if (word === resultWord(number, true) || word === resultWord(number, false)) {
        counts.worker++
        this.answer(slot, job, word === resultWord(number, true))
      } else if (word === NO_VERDICT) {
        counts.noKey++
        this.verifyHere(job)
      }
    }
    while (this.oldest !== this.published && this.jobs[this.oldest & (JOB_SLOTS - 1)] === undefined) this.oldest = (this.oldest + 1) | 0
  }

  private verifyAllHere(): void {
    for (let number = this.oldest; number !== this.published; number = (number + 1) | 0) {
      const job = this.jobs[number & (JOB_SLOTS - 1)]
      if (job !== undefined) this.verifyHere(job)
    }
    this.oldest = this.published
    this.refPorts(false)
  }

  private ended(): void {
    if (this.exited) return
    this.exited = true
    // Whatever the workers took and had not answered is verified here: nothing waits on a gone worker.
    this.collect()
    // The run is over for all of them: the others would otherwise sleep on the shared word for the process's life.
    for (const worker of this.workers) void worker.terminate()
  }
}

let run: WorkerRun | null = null
/** Set when starting a worker failed (a permission model, no threads allowed): the thread pool serves from then on. */
let unavailable = false
let poolVerifications = 0
/** Tests: 'threadPool' keeps workers out; 'workers' leaves every job to them (each verdict is a worker's). */
let forcedPath: 'auto' | 'threadPool' | 'workers' = 'auto'
let workerTakesAll = false

function startWorkers(count: number): void {
  poolVerifications = 0
  const threads = workerThreads()
  if (!threads) return
  try {
    run = new WorkerRun(threads, count)
  } catch {
    // No worker threads here (a permission model, a runtime without them): the thread pool serves.
    unavailable = true
    run = null
  }
}

/**
 * The signature check of `jws` with `key` under `alg`, shared with the worker threads. null when the workers
 * do not run (not needed yet, starting, unavailable) or cannot take the job: the caller then uses the
 * thread pool. Counts those calls, and starts the workers after WORKER_START_AFTER of them.
 */
export function verifiedWithWorker(jws: ParsedCompactJws, key: NodeKeyObject, alg: string): Promise<boolean> | null {
  if (forcedPath === 'threadPool') return null
  const current = run
  if (current === null || !current.running()) {
    if (current?.replaceable()) run = null
    if (run === null && !unavailable && WORKER_COUNT >= 1 && ++poolVerifications >= WORKER_START_AFTER) startWorkers(WORKER_COUNT)
    return null
  }
  if (current.keyCount >= MAX_WORKER_KEYS && current.idle()) {
    current.stop()
    run = null
    return null
  }
  return current.publish(jws, key, alg)
}

/**
 * Starts the workers now and resolves once they run (tests; the verifier starts them on its own).
 * Resolves false where worker threads are unavailable.
 */
export async function startSignatureWorkers(): Promise<boolean> {
  if (unavailable || !workerThreads()) return false
  if (run === null || run.replaceable()) startWorkers(Math.max(1, WORKER_COUNT))
  const current = run
  if (current === null) return false
  // The worker reports itself running in shared memory (no message needed, nothing kept alive).
  for (let waited = 0; !current.running(); waited += 5) {
    if (current.replaceable() || waited > 10_000) return false
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  return true
}

/**
 * Tests: where signatures go when many verifications are in flight. 'threadPool': never to a worker;
 * 'workers': every job to the running workers (start them with startSignatureWorkers); 'auto': the default.
 */
export function forceSignaturePath(path: 'auto' | 'threadPool' | 'workers'): void {
  forcedPath = path
  workerTakesAll = path === 'workers'
}

/** Whether the workers run (every job of a burst may go to them). */
export function signatureWorkersRunning(): boolean {
  return run?.running() ?? false
}

/** Stops the workers (tests); what they had is verified here. Sustained concurrency starts new ones. */
export function stopSignatureWorkers(): void {
  run?.stop()
  run = null
  poolVerifications = 0
}

/** Verdicts given since the process started, by this thread (of them, handed back for want of the key) and by the workers; bursts settled; messages from the workers. */
export function signatureWorkerCounts(): { readonly main: number; readonly worker: number; readonly noKey: number; readonly bursts: number; readonly messages: number } {
  return { ...counts }
}
