/**
 * Verifications under way in this process (started, not finished). When several are in flight, node:crypto
 * verifies on libuv's thread pool so that both cores work and the event loop keeps serving; one at a time,
 * verifying on the calling thread is faster (bench/ measures both).
 */
let inFlight = 0

/** From this many verifications in flight on, signatures are checked on the thread pool. */
export const POOL_THRESHOLD = 4

export function verificationStarted(): void {
  inFlight++
}

export function verificationFinished(): void {
  inFlight--
}

/**
 * Ends a verification that finished without waiting, once the current synchronous work is done: so callers
 * that start many verifications at once (Promise.all, a batch) see them in flight and get the thread pool,
 * while one caller awaiting each answer in turn sees at most one.
 */
export function verificationFinishedSoon(): void {
  // A reaction on a settled promise, not queueMicrotask: Node's queueMicrotask builds an AsyncResource (an
  // async id and a bound function) per call, on every verification; the reaction job runs in the same queue.
  SETTLED.then(verificationFinished, undefined)
}

const SETTLED = Promise.resolve()

/** Verifications started and not yet finished (finishing includes the microtask of verificationFinishedSoon). */
export function verificationsInFlight(): number {
  return inFlight
}

export function useThreadPool(): boolean {
  return inFlight >= POOL_THRESHOLD
}
