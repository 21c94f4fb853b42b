import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { envFor, startTestIssuer, type RunningTestIssuer } from '@mieweb/trusted-proxy-auth-testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The real command: the core CLI's `serve`, which loads this package.
const cli = join(import.meta.dirname, '..', '..', 'core', 'dist', 'cli', 'main.js')

let issuer: RunningTestIssuer

beforeAll(async () => {
  issuer = await startTestIssuer({ audience: 'app', subject: 'ann' })
})

afterAll(() => issuer.close())

/** Collects stdout from the start and resolves with the URL once the `listening` log line names the port. */
function listening(child: ChildProcessWithoutNullStreams, output: { text: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output.text += String(chunk)
      const match = /"port":(\d+)/.exec(output.text)
      if (match) resolve(`http://127.0.0.1:${match[1]}`)
    })
    child.once('exit', () => reject(new Error(`serve exited before listening: ${output.text}`)))
  })
}

describe('trusted-proxy-auth serve as a process', () => {
  it('finishes an answer in flight on SIGTERM, then exits 0', async () => {
    const env = envFor(issuer, { TRUSTED_PROXY_ASSERTION_HEADER: 'X-Assertion', TRUSTED_PROXY_SERVE_PORT: '0' }) as Record<string, string>
    // Keys answer slowly, so the first /verify is still waiting for them when SIGTERM arrives.
    issuer.setLatency(700)
    const child = spawn(process.execPath, [cli, 'serve'], { env: { PATH: process.env['PATH'] ?? '', ...env } })
    const output = { text: '' }
    try {
      const url = await listening(child, output)
      const token = await issuer.sign()
      const inFlight = fetch(`${url}/verify`, { headers: { 'x-assertion': token } })
      await new Promise((resolve) => setTimeout(resolve, 150))
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      const response = await inFlight
      expect(response.status).toBe(200)
      expect(response.headers.get('x-auth-request-user')).toBe('ann')
      const [code] = await exited
      expect(code).toBe(0)
      expect(output.text).toContain('"msg":"shutting down"')
      expect(output.text).toContain('"msg":"stopped"')
      expect(output.text).not.toContain(token.split('.')[1])
    } finally {
      issuer.setLatency(0)
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  })

  it('exits 2 with every configuration problem as JSON', async () => {
    const child = spawn(process.execPath, [cli, 'serve'], { env: { PATH: process.env['PATH'] ?? '', TRUSTED_PROXY_SERVE_PORT: 'x' } })
    let text = ''
    child.stdout.on('data', (chunk) => (text += String(chunk)))
    const [code] = await once(child, 'exit')
    expect(code).toBe(2)
    const printed = JSON.parse(text) as { error: { code: string; problems: Array<{ variable: string }> } }
    expect(printed.error.code).toBe('invalid_config')
    expect(printed.error.problems.map((problem) => problem.variable)).toContain('TRUSTED_PROXY_SERVE_PORT')
  })
})
