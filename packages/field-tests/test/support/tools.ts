import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'

export const repoRoot = join(import.meta.dirname, '..', '..', '..', '..')
export const toolsBin = join(repoRoot, '.tools', 'bin')
export const examplesDir = join(repoRoot, 'docs', 'proxies', 'examples')
export const pythonVenv = join(repoRoot, 'packages', 'python', '.venv')

export interface Tool {
  name: string
  path: string
}

function onPath(command: string): string | null {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' })
  return found.status === 0 ? found.stdout.trim() : null
}

const locate: Record<string, () => string | null> = {
  nginx: () => onPath('nginx') ?? (existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : null),
  caddy: () => onPath('caddy'),
  'oauth2-proxy': () => (existsSync(join(toolsBin, 'oauth2-proxy')) ? join(toolsBin, 'oauth2-proxy') : null),
  'oidc-provider': () => (existsSync(join(toolsBin, 'oidc-provider')) ? join(toolsBin, 'oidc-provider') : null),
  uvicorn: () => (existsSync(join(pythonVenv, 'bin', 'uvicorn')) ? join(pythonVenv, 'bin', 'python') : null),
}

const HOW_TO_INSTALL: Record<string, string> = {
  uvicorn: 'python3 packages/python/scripts/dev_env.py setup',
}

/** Every tool some field test file needs. */
export const ALL_TOOLS = ['nginx', 'caddy', 'oauth2-proxy', 'oidc-provider', 'uvicorn'] as const

/**
 * The tools a field test file needs, or the reason it is skipped: which tools are missing and the
 * command that installs them. The run prints it once (test/support/global-setup.ts), not per file.
 */
export function requireTools(...names: string[]): { tools: Record<string, string>; skipReason: string | null } {
  const tools: Record<string, string> = {}
  const missing: string[] = []
  for (const name of names) {
    const path = locate[name]?.() ?? null
    if (path) tools[name] = path
    else missing.push(name)
  }
  if (missing.length === 0) return { tools, skipReason: null }
  const installers = [...new Set(missing.map((name) => HOW_TO_INSTALL[name] ?? 'bash scripts/install-tools.sh'))]
  return { tools, skipReason: `field tests skipped: ${missing.join(', ')} not installed; run ${installers.join(' and ')}` }
}
