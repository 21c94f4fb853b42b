import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'

export interface RunningApps {
  /** Base URL of each hello-world app by framework and major, e.g. `express4`. */
  urls: Record<string, string>
  stop(): Promise<void>
}

/** Starts a fixture that prints one JSON line of app URLs once every app listens. */
export async function startApps(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<RunningApps> {
  const child: ChildProcess = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve()
      child.once('exit', () => resolve())
      child.kill('SIGTERM')
    })
  const firstLine = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.once('line', (line) => {
      lines.close()
      resolve(line)
    })
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code} before listening:\n${stderr}`)))
  })
  return { urls: JSON.parse(firstLine) as Record<string, string>, stop }
}
