import { createHash, timingSafeEqual } from 'node:crypto'
import { ENROLLMENT_CONTRACT } from '../generated/contract.js'

const { alphabet: ALPHABET, length: LENGTH } = ENROLLMENT_CONTRACT.enrollmentCode
/** The largest multiple of the alphabet size below 256: bytes from it up are drawn again, so every character is equally likely. */
const UNBIASED_LIMIT = 256 - (256 % ALPHABET.length)

/**
 * A new one-time enrollment code (contract/enrollment.json `enrollmentCode`): LENGTH characters of its alphabet
 * (no 0/O, 1/I/L, U), drawn from the platform CSPRNG (crypto.getRandomValues) by rejection sampling.
 */
export function createEnrollmentCode(): string {
  let code = ''
  while (code.length < LENGTH) {
    const bytes = globalThis.crypto.getRandomValues(new Uint8Array(LENGTH * 2))
    for (const byte of bytes) {
      if (byte < UNBIASED_LIMIT && code.length < LENGTH) code += ALPHABET[byte % ALPHABET.length]
    }
  }
  return code
}

/** What a person may type: case, spaces and hyphens do not matter. */
function normalised(code: string): string {
  return code.replace(/[\s-]/g, '').toUpperCase()
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest()

/**
 * Whether `given` is the enrollment code `expected`, compared in constant time (of the SHA-256 digests, so that
 * neither the length nor the position of the first difference shows in the timing). Case, spaces and hyphens
 * in `given` are ignored. An empty expected code matches nothing.
 */
export function enrollmentCodeMatches(expected: string, given: string): boolean {
  if (expected === '') return false
  return timingSafeEqual(digest(normalised(expected)), digest(normalised(given)))
}
