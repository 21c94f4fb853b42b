/**
 * The memory the main thread and the signature workers share (signature-workers.ts), and a worker's source.
 * A worker only ever calls node:crypto's `verify` with arguments the main thread prepared (the same
 * digest and key options its own synchronous check uses); which `alg` maps to what stays in node-signature.ts.
 *
 * Jobs form a ring of JOB_SLOTS slots; job number `n` (an Int32 that wraps) lives in slot `n % JOB_SLOTS`,
 * with its signing input and signature in that slot's SLOT_BYTES of the data buffer.
 */

/** Workers one process starts at most (each sleeps on its own pair of control words). */
export const MAX_WORKERS = 4

/** Int32 words of the control array. Job numbers wrap: compare them with `(a - b) | 0`. */
export const CONTROL = {
  /** Jobs published so far (main writes). */
  published: 0,
  /** Jobs taken so far, by any thread (compare-and-swap). */
  taken: 1,
  /** Workers that have started their loop. */
  running: 2,
  /** 1 when main waits for verdicts: a worker clears it and posts a message after its next verdict. */
  wantsMessage: 3,
  /** Worker `i`'s wake-up word (main bumps it to wake that worker) is `wake + 2 * i`; its sleeping flag is the word after. */
  wake: 4,
  length: 4 + 2 * MAX_WORKERS,
} as const

/** Int32 words per slot in the job table: key index, signing input length, signature length. */
export const JOB_WORDS = 3
/** Slots in the ring (a power of two). */
export const JOB_SLOTS = 256
/** Bytes of one slot's signing input and signature; a larger job takes another path. */
export const SLOT_BYTES = 4096

/** The result word of a job a worker could not verify (its key never arrived): main verifies it. */
export const NO_VERDICT = 1

/** The result word of job `job`: never 0 (an empty slot) nor NO_VERDICT, and never the word of the slot's previous job. */
export function resultWord(job: number, valid: boolean): number {
  return (((job & 0x1fffffff) << 1) | (valid ? 1 : 0)) + 2
}

/**
 * A worker, as CommonJS source for `new Worker(source, { eval: true })`: no file to locate next to the
 * ESM and CJS builds. It takes published jobs by compare-and-swap, verifies, and stores the result word.
 * Keys arrive on its MessagePort as `{ index, digest, keyInput }` (KeyObjects are cloneable), always
 * before a job that names them is published. It sleeps while there is nothing to take; it never exits
 * by itself (it is unref'd: it keeps no process alive).
 */
export const WORKER_SOURCE = `'use strict'
const { workerData, receiveMessageOnPort } = require('node:worker_threads')
const { verify } = require('node:crypto')
const { control, table, results, data, port, id } = workerData
const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
const wakeWord = ${CONTROL.wake} + 2 * id
const sleepingWord = wakeWord + 1
const hasWork = () => ((Atomics.load(control, ${CONTROL.published}) - Atomics.load(control, ${CONTROL.taken})) | 0) > 0
const keys = []
Atomics.add(control, ${CONTROL.running}, 1)
for (;;) {
  if (!hasWork()) {
    // Announce the sleep first, then look once more: main wakes a worker it finds sleeping after it publishes.
    const wake = Atomics.load(control, wakeWord)
    Atomics.store(control, sleepingWord, 1)
    if (!hasWork()) Atomics.wait(control, wakeWord, wake)
    Atomics.store(control, sleepingWord, 0)
    continue
  }
  const job = Atomics.load(control, ${CONTROL.taken})
  if (((Atomics.load(control, ${CONTROL.published}) - job) | 0) <= 0 || Atomics.compareExchange(control, ${CONTROL.taken}, job, (job + 1) | 0) !== job) continue
  const slot = job & ${JOB_SLOTS - 1}
  const at = slot * ${JOB_WORDS}
  const index = table[at]
  while (keys[index] === undefined) {
    const received = receiveMessageOnPort(port)
    if (received === undefined) break
    keys[received.message.index] = received.message
  }
  const key = keys[index]
  let word = ${NO_VERDICT}
  if (key !== undefined) {
    const start = slot * ${SLOT_BYTES}
    let valid = false
    try {
      valid = verify(key.digest, bytes.subarray(start, start + table[at + 1]), key.keyInput, bytes.subarray(start + table[at + 1], start + table[at + 1] + table[at + 2]))
    } catch {
      valid = false
    }
    word = (((job & 0x1fffffff) << 1) | (valid ? 1 : 0)) + 2
  }
  Atomics.store(results, slot, word)
  if (Atomics.load(control, ${CONTROL.wantsMessage}) === 1 && Atomics.compareExchange(control, ${CONTROL.wantsMessage}, 1, 0) === 1) port.postMessage(0)
}
`
