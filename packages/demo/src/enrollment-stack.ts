import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_ENROLLMENT_PATH, type Logger } from '@mieweb/trusted-proxy-auth'
import { startTestIssuer, type RunningTestIssuer } from '@mieweb/trusted-proxy-auth-testing'
import { APP_AUDIENCE } from './demo-user.js'
import { startIdentityAwareProxy, type RunningProxy } from './identity-aware-proxy.js'
import { startProtectedApp, type RunningApp } from './protected-app.js'

export interface EnrollmentStack {
  readonly issuer: RunningTestIssuer
  readonly proxy: RunningProxy
  readonly app: RunningApp
  /** The enrollment page, opened through the proxy. */
  readonly enrollUrl: string
  /** Where the page writes the enrollment record (a fresh temporary directory). */
  readonly file: string
  /** The enrollment code the app logged last (a new one after 5 wrong attempts and after a revoke). */
  currentCode(): string | null
  close(): Promise<void>
}

const CODE_IN_LINE = /enrollment code ([A-Z0-9]{12})\b/

/**
 * The demo stack with an app that is not enrolled yet: the identity provider and proxy as in the walkthrough,
 * and an Express app whose only authentication setting is `enrollment` (the record goes to a temporary file).
 * The app's log lines go to `onLog` (the enrollment code among them).
 */
export async function startEnrollmentStack(onLog: (line: string) => void = () => undefined): Promise<EnrollmentStack> {
  const issuer = await startTestIssuer({ audience: APP_AUDIENCE, kidPrefix: 'demo-' })
  const directory = mkdtempSync(join(tmpdir(), 'trusted-proxy-auth-demo-'))
  const file = join(directory, 'enrollment.json')
  let code: string | null = null
  const record = (line: string): void => {
    code = CODE_IN_LINE.exec(line)?.[1] ?? code
    onLog(line)
  }
  const logger: Logger = { debug: () => undefined, info: record, warn: record, error: record }
  const app = await startProtectedApp({ TRUSTED_PROXY_ENROLLMENT_FILE: file }, () => undefined, { enrollment: true, logger })
  const proxy = await startIdentityAwareProxy(issuer, app.url)
  return {
    issuer,
    proxy,
    app,
    file,
    enrollUrl: `${proxy.url}${DEFAULT_ENROLLMENT_PATH}`,
    currentCode: () => code,
    async close() {
      await proxy.close()
      await app.close()
      await issuer.close()
      rmSync(directory, { recursive: true, force: true })
    },
  }
}
