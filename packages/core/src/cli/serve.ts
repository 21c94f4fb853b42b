import type { Command } from 'commander'
import type { TrustedProxyAuthOptions } from '../config.js'
import { usageError } from './cli-io.js'
import { EXIT_USAGE } from './output.js'
import type { CliIo } from './cli-io.js'

/** The package that holds the server, so the library itself carries no server dependencies. */
const SERVE_PACKAGE = '@mieweb/trusted-proxy-auth-serve'

interface ServeModule {
  runServe(options: { env: Record<string, string | undefined>; overrides?: TrustedProxyAuthOptions; stdout: (text: string) => void; enroll?: boolean }): Promise<number>
}

/** `trusted-proxy-auth serve`: runs the edge verifier of @mieweb/trusted-proxy-auth-serve until SIGTERM. */
export function addServeCommand(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  program
    .command('serve')
    .description(`run the edge verifier for forwardAuth / auth_request / ext_authz (needs ${SERVE_PACKAGE})`)
    .option('--preset <name>', 'proxy preset (TRUSTED_PROXY_PRESET)')
    .option('--config-file <path>', 'JSON settings file (TRUSTED_PROXY_CONFIG_FILE)')
    .option('--enroll', 'serve the one-click enrollment page too (needs TRUSTED_PROXY_ENROLLMENT_FILE); /verify answers 503 not_enrolled until enrolled')
    .addHelpText(
      'after',
      '\nListens on TRUSTED_PROXY_SERVE_ADDRESS:TRUSTED_PROXY_SERVE_PORT (default 127.0.0.1:4181).\n  /verify   any method: 200 with X-Auth-Request-User/-Email/-Name/-Groups, or 401/403/503 problem+json\n  /healthz  the process is up\n  /readyz   keys are loaded (503 until then)\n  /metrics  Prometheus text\n  /.well-known/trusted-proxy-auth/enroll  with --enroll: the enrollment page (route it through the proxy)\nLogs are JSON lines on stdout. SIGTERM stops it gracefully. See docs/serve.md.',
    )
    .action(async (flags: { preset?: string; configFile?: string; enroll?: boolean }) => {
      let module: ServeModule
      try {
        module = (await import(SERVE_PACKAGE)) as ServeModule
      } catch {
        throw usageError(`serve needs the package ${SERVE_PACKAGE}: npm install ${SERVE_PACKAGE} (or npx -p ${SERVE_PACKAGE} trusted-proxy-auth-serve)`)
      }
      const overrides: TrustedProxyAuthOptions = {}
      if (flags.preset !== undefined) overrides.preset = flags.preset as TrustedProxyAuthOptions['preset'] // loadConfig checks the name
      if (flags.configFile !== undefined) overrides.configFile = flags.configFile
      const code = await module.runServe({ env: io.env, overrides, stdout: io.stdout, ...(flags.enroll ? { enroll: true } : {}) })
      setExitCode(code === 0 ? 0 : EXIT_USAGE)
    })
}
