import { MAX_FORM_BYTES } from './enrollment-page.js'

/** Raised when a form body is larger than MAX_FORM_BYTES (the adapters answer 413). */
export class FormTooLargeError extends Error {
  constructor() {
    super(`the form is larger than ${MAX_FORM_BYTES} bytes`)
  }
}

/** An `application/x-www-form-urlencoded` body as a record (the last of repeated fields wins). */
export function parseForm(text: string): Record<string, string> {
  const form: Record<string, string> = Object.create(null) as Record<string, string>
  for (const [name, value] of new URLSearchParams(text)) form[name] = value
  return form
}

/**
 * Reads a Node request stream (or any async iterable of chunks) as a form, for frameworks that leave the body
 * unparsed. A content type other than the URL-encoded form yields an empty form.
 * @throws FormTooLargeError past MAX_FORM_BYTES.
 */
export async function readForm(body: AsyncIterable<Uint8Array | string>, contentType: string | undefined): Promise<Record<string, string>> {
  const chunks: Uint8Array[] = []
  let length = 0
  const encoder = new TextEncoder()
  for await (const chunk of body) {
    const bytes = typeof chunk === 'string' ? encoder.encode(chunk) : chunk
    length += bytes.byteLength
    if (length > MAX_FORM_BYTES) throw new FormTooLargeError()
    chunks.push(bytes)
  }
  if (!(contentType ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) return parseForm('')
  const joined = new Uint8Array(length)
  let offset = 0
  for (const chunk of chunks) {
    joined.set(chunk, offset)
    offset += chunk.byteLength
  }
  return parseForm(new TextDecoder().decode(joined))
}
