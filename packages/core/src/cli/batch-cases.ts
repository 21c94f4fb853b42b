import { ownMembersCopy } from '../claim-value.js'
/**
 * The input of `trusted-proxy-auth verify --batch`: JSON Lines on standard input, one verification per line.
 *
 * A line is a JSON object with these members (all optional, no others):
 * - `token`: the assertion (string), verified as `verify TOKEN` would;
 * - `headers`: `[["Name", "value"], ...]`, which makes the line a whole request (`verify --header ...`);
 * - `remoteAddress`: the socket peer address (string or null), also a request (`--remote-address`);
 * - `now`: the current time in Unix seconds (number), like `--now`;
 * - `env`: `TRUSTED_PROXY_*` settings (strings) laid over the process environment for this line only.
 * Blank lines are skipped. The Python CLI reads the same format (packages/python `cli.py`).
 */

/** One line of a batch, checked for shape; the verify command gives it meaning. */
export interface BatchCase {
  token?: string
  headers?: Array<[string, string]>
  remoteAddress?: string | null
  now?: number
  env?: Record<string, string>
}

const MEMBERS = new Set(['token', 'headers', 'remoteAddress', 'now', 'env'])

/** A line that is not a batch case; the message names the line and the member, never a value. */
export class BatchLineError extends Error {}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isHeaderPair(value: unknown): value is [string, string] {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string'
}

/** Parses one non-blank line (1-based `lineNumber` for messages). Throws BatchLineError. */
export function parseBatchLine(text: string, lineNumber: number): BatchCase {
  const where = `line ${lineNumber} of standard input`
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new BatchLineError(`${where} is not JSON`)
  }
  if (!isPlainObject(value)) throw new BatchLineError(`${where} must be a JSON object`)
  for (const name of Object.keys(value)) {
    if (!MEMBERS.has(name)) throw new BatchLineError(`${where} has an unknown member "${name.slice(0, 40)}" (allowed: ${[...MEMBERS].join(', ')})`)
  }
  const batchCase: BatchCase = {}
  // Own members only (a copy without a prototype): nothing Object.prototype was given passes for a member.
  const { token, headers, remoteAddress, now, env } = ownMembersCopy(value)
  if (token !== undefined) {
    if (typeof token !== 'string') throw new BatchLineError(`${where}: "token" must be a string`)
    batchCase.token = token
  }
  if (headers !== undefined) {
    if (!Array.isArray(headers) || !headers.every(isHeaderPair)) throw new BatchLineError(`${where}: "headers" must be a list of ["Name", "value"] pairs`)
    batchCase.headers = headers.map(([name, headerValue]) => [name, headerValue])
  }
  if (remoteAddress !== undefined) {
    if (remoteAddress !== null && typeof remoteAddress !== 'string') throw new BatchLineError(`${where}: "remoteAddress" must be a string or null`)
    batchCase.remoteAddress = remoteAddress
  }
  if (now !== undefined) {
    if (typeof now !== 'number' || !Number.isFinite(now) || now < 0) throw new BatchLineError(`${where}: "now" must be a number of seconds since the epoch`)
    batchCase.now = now
  }
  if (env !== undefined) {
    if (!isPlainObject(env) || !Object.values(env).every((setting) => typeof setting === 'string')) throw new BatchLineError(`${where}: "env" must map setting names to strings`)
    batchCase.env = { ...(env as Record<string, string>) }
  }
  return batchCase
}

/** The lines of a text stream, decoded as UTF-8, without their line ends ("\n" or "\r\n"). */
export async function* textLines(stream: AsyncIterable<string | Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder()
  let pending = ''
  for await (const chunk of stream) {
    pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true })
    let start = 0
    for (let end = pending.indexOf('\n'); end !== -1; end = pending.indexOf('\n', start)) {
      yield pending.slice(start, end).replace(/\r$/, '')
      start = end + 1
    }
    pending = pending.slice(start)
  }
  pending += decoder.decode()
  if (pending !== '') yield pending.replace(/\r$/, '')
}
