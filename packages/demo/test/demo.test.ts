import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url))

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function runDemo(args: string[], onOutput?: (stdout: string, child: ReturnType<typeof spawn>) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      onOutput?.(stdout, child)
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

describe('npm run demo', () => {
  // How long the walkthrough takes is not checked: it waits for the verifier's real 5 s key retry, and a busy
  // machine stretches the rest, so a time limit would test the machine, not the demo.
  it('walks through the five situations, exits 0 and prints no assertion', async () => {
    const run = await runDemo([])
    // Step 5 starts the app while the key server is down: the library's logger warns once about that fetch
    // (one line per failed fetch, never one per rejected request); nothing else reaches stderr.
    const stderrLines = run.stderr.split('\n').filter((line) => line !== '')
    expect(stderrLines.length).toBeLessThanOrEqual(3)
    for (const line of stderrLines) expect(line).toMatch(/^trusted-proxy-auth: keys not loaded: http:\/\/127\.0\.0\.1:\d+\/\S+: HTTP status 503$/)
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/1\. A request through the proxy[\s\S]*→ 200 .*ada@example\.com/)
    expect(run.stdout).toMatch(/2\. Straight to the app[\s\S]*→ 401 missing_assertion/)
    expect(run.stdout).toMatch(/3\. A forged assertion[\s\S]*→ 401 invalid_signature[\s\S]*through the proxy → 200 .*"subject":"ada-1815"/)
    expect(run.stdout).toMatch(/4\. The proxy rotates[\s\S]*→ 200/)
    expect(run.stdout).toMatch(/5\. The app starts while the key server is down[\s\S]*→ 503 jwks_unavailable {2}Retry-After: \d+[\s\S]*→ 200/)
    expect(run.stdout).toContain('All 7 checks behaved as expected.')
    expect(run.stdout).not.toContain('✘')
    expect(run.stdout).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/)
  })

  it('--serve keeps the proxy and app up for a browser until interrupted', async () => {
    let pages: Promise<{ proxied: string; direct: number }> | undefined
    const run = await runDemo(['--serve'], (stdout, child) => {
      if (pages || !stdout.includes('Ctrl+C stops.')) return
      const [proxyUrl, appUrl] = [...stdout.matchAll(/^ {3}(http:\/\/127\.0\.0\.1:\d+\/) {3}/gm)].map((match) => match[1])
      pages = (async () => {
        const proxied = await (await fetch(proxyUrl!)).text()
        const direct = (await fetch(appUrl!)).status
        child.kill('SIGINT')
        return { proxied, direct }
      })()
    })
    expect(run.code).toBe(0)
    const seen = await pages
    expect(seen?.proxied).toContain('Hello, Ada Lovelace')
    expect(seen?.direct).toBe(401)
  })

  it('--enroll prints the page URL and the code and keeps an app that answers not_enrolled running until interrupted', async () => {
    let seen: Promise<{ page: number; api: number; code: string }> | undefined
    const run = await runDemo(['--enroll'], (stdout, child) => {
      if (seen || !stdout.includes('Ctrl+C stops')) return
      const enrollUrl = /(http:\/\/127\.0\.0\.1:\d+\/\.well-known\/trusted-proxy-auth\/enroll)/.exec(stdout)?.[1]
      const apiUrl = /(http:\/\/127\.0\.0\.1:\d+\/api\/me)/.exec(stdout)?.[1]
      const code = /enrollment code: ([A-Z0-9]{12})/.exec(stdout)?.[1] ?? ''
      seen = (async () => {
        const page = (await fetch(enrollUrl!)).status
        const api = (await fetch(apiUrl!)).status
        child.kill('SIGINT')
        return { page, api, code }
      })()
    })
    expect(run.code).toBe(0)
    expect(await seen).toMatchObject({ page: 200, api: 503, code: expect.stringMatching(/^[A-Z0-9]{12}$/) })
  })

  it('refuses unknown arguments with the usage text', async () => {
    const run = await runDemo(['--bogus'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('Usage: npm run demo')
  })
})
