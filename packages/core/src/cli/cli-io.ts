import { TrustedProxyAuthError } from '../errors.js'

/** What the CLI reads and writes: the environment, stdin, stdout and stderr (injected, so tests run it in-process). */
export interface CliIo {
  env: Record<string, string | undefined>
  stdin: AsyncIterable<string | Uint8Array>
  stdout: (text: string) => void
  stderr: (text: string) => void
  /** stdout is a terminal: print a human summary instead of JSON (unless --json). */
  isTerminal?: boolean
  /** Asks a person a yes/no question (stdin is a terminal); absent when nobody can answer (`enroll` then needs --yes). */
  confirm?: (question: string) => Promise<boolean>
}

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
