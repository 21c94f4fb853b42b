import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DEFAULT_TEST_SUBJECT, envFor, startTestIssuer, type RunningTestIssuer } from '@mieweb/trusted-proxy-auth-testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { repoRoot } from './support/repo.js'
import { baseEnv, run, runOk } from './support/run.js'
import { tarballFiles } from './support/tarball.js'

// The Python package's dev venv (scripts/dev_env.py, set up by its turbo build) has hatchling, build and uv.
const pythonPackage = join(repoRoot, 'packages', 'python')
const devBin = join(pythonPackage, '.venv', 'bin')
const fixture = join(import.meta.dirname, '..', 'fixtures', 'python_hello.py')
const license = readFileSync(join(repoRoot, 'LICENSE'))
const FRAMEWORKS = ['fastapi', 'flask', 'django'] as const

let dist: string
let issuer: RunningTestIssuer
let appEnv: NodeJS.ProcessEnv

function built(suffix: string): string {
  const name = readdirSync(dist).find((file) => file.endsWith(suffix))
  if (!name) throw new Error(`no *${suffix} in ${dist}`)
  return join(dist, name)
}

async function zipListing(wheel: string): Promise<string[]> {
  const { stdout } = await runOk(join(devBin, 'python'), ['-c', 'import sys, zipfile; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))', wheel])
  return stdout.trim().split('\n').sort()
}

/** A fresh venv (made by uv: seconds, where venv + pip take most of a minute) with `requirement` installed. */
async function freshVenv(name: string, requirement: string): Promise<string> {
  const venv = join(inject('workDir'), name)
  const uv = join(devBin, 'uv')
  const env = baseEnv({ UV_NO_PROGRESS: '1' })
  await runOk(uv, ['venv', '--quiet', '--python', join(devBin, 'python'), venv], { env })
  await runOk(uv, ['pip', 'install', '--quiet', '--python', join(venv, 'bin', 'python'), requirement], { env })
  return venv
}

beforeAll(async () => {
  dist = join(inject('workDir'), 'python-dist')
  mkdirSync(dist)
  // `python -m build` makes the sdist, then the wheel from the unpacked sdist: a file missing from the sdist
  // breaks the wheel build. --no-isolation reuses the dev venv's hatchling instead of downloading one.
  await runOk(join(devBin, 'python'), ['-m', 'build', '--no-isolation', '--outdir', dist, pythonPackage], { env: baseEnv() })
  issuer = await startTestIssuer()
  appEnv = baseEnv(envFor(issuer))
})

afterAll(async () => {
  await issuer?.close()
})

describe('built distributions', () => {
  it('the wheel and the sdist carry the LICENSE, the contract files and no test tooling in their metadata', async () => {
    const wheel = await zipListing(built('.whl'))
    expect(wheel.filter((path) => path.endsWith('.dist-info/licenses/LICENSE'))).toHaveLength(1)
    expect(wheel).toEqual(expect.arrayContaining(['trusted_proxy_auth/contract/env.json', 'trusted_proxy_auth/contract/errors.json', 'trusted_proxy_auth/py.typed']))
    const sdist = tarballFiles(built('.tar.gz'))
    const sdistPaths = [...sdist.keys()].map((path) => path.replace(/^[^/]+\//, ''))
    expect(sdist.get([...sdist.keys()].find((path) => path.endsWith('/LICENSE'))!)?.equals(license)).toBe(true)
    expect(sdistPaths).toEqual(expect.arrayContaining(['LICENSE', 'pyproject.toml', 'src/trusted_proxy_auth/contract/env.json']))
    const metadata = sdist.get([...sdist.keys()].find((path) => path.endsWith('/PKG-INFO'))!)!.toString('utf8')
    expect(metadata).toMatch(/^License-File: LICENSE$/m)
    expect(metadata).toMatch(/^Provides-Extra: fastapi$/m)
    // Test tooling is a PEP 735 dependency group, which is never published.
    expect(metadata).not.toMatch(/^Provides-Extra: test$/m)
    expect(metadata).not.toMatch(/^Requires-Dist: (pytest|ruff|mypy)/m)
  })
})

describe.each([
  ['wheel', '.whl'],
  ['sdist', '.tar.gz'],
])('%s installed into a fresh venv', (kind, suffix) => {
  let venv: string
  beforeAll(async () => {
    venv = await freshVenv(`venv-${kind}`, `trusted-proxy-auth[fastapi,flask,django] @ file://${built(suffix)}`)
  })

  it('FastAPI, Flask and Django hello-worlds: 200 with the identity for a good assertion, 401 without one', async () => {
    const { stdout } = await runOk(join(venv, 'bin', 'python'), [fixture], { env: appEnv, input: await issuer.sign(), cwd: inject('workDir') })
    const results = JSON.parse(stdout) as Record<string, { good: { status: number; body: Record<string, unknown> }; none: { status: number; body: Record<string, unknown> } }>
    for (const framework of FRAMEWORKS) {
      expect({ framework, status: results[framework]!.good.status, subject: results[framework]!.good.body.subject }).toEqual({ framework, status: 200, subject: DEFAULT_TEST_SUBJECT })
      expect({ framework, status: results[framework]!.none.status, code: results[framework]!.none.body.code }).toEqual({ framework, status: 401, code: 'missing_assertion' })
    }
  })

  it('the trusted-proxy-auth command verifies (exit 0) and rejects (exit 1) with env settings only', async () => {
    const bin = join(venv, 'bin', 'trusted-proxy-auth')
    expect(existsSync(bin)).toBe(true)
    const good = await run(bin, ['verify', '-'], { env: appEnv, input: await issuer.sign() })
    expect(good.code).toBe(0)
    expect(JSON.parse(good.stdout)).toMatchObject({ ok: true, identity: { subject: DEFAULT_TEST_SUBJECT } })
    const bad = await run(bin, ['verify', 'not-a-token'], { env: appEnv })
    expect(bad.code).toBe(1)
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, error: { code: 'malformed_assertion' } })
  })
})
