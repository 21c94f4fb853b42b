import type { StagePlugs } from '../quirk-stages.js'

/**
 * Quirk paddedBase64url, stage syntax: AWS ALB pads its base64url segments with `=`. A segment is the
 * canonical unpadded text, optionally followed by exactly the one or two `=` that bring its length to a
 * multiple of 4. Returns the segment without that padding (still to be checked as canonical base64url),
 * or null when the padding is wrong: three `=`, padding a segment that needs none, or too little.
 */
export function withoutPadding(segment: string): string | null {
  const unpadded = segment.replace(/=+$/, '')
  const padding = segment.length - unpadded.length
  if (padding === 0) return segment
  const needed = (4 - (unpadded.length % 4)) % 4
  return (padding === 1 || padding === 2) && padding === needed ? unpadded : null
}

/** The quirk's plug: segments are decoded without their padding (the signing input keeps it). */
export const paddedBase64url = (): StagePlugs => ({ syntax: { segment: withoutPadding } })
