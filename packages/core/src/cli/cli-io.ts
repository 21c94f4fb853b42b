import { TrustedProxyAuthError } from '../errors.js'

export async function readAll(stream: AsyncIterable<string | Uint8Array>): Promise<string> {
  const decoder = new TextDecoder()
  let text = ''
  for await (const chunk of stream) text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true })
  return text + decoder.decode()
}

/** A usage problem, reported like every configuration problem (variable `arguments`, exit 2). */
export function usageError(message: string): TrustedProxyAuthError {
  return new TrustedProxyAuthError('invalid_config', { problems: [{ variable: 'arguments', message }] })
}
