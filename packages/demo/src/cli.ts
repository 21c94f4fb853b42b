import { bold, cyan, dim, line } from './output.js'
import { startEnrollmentStack } from './enrollment-stack.js'
import { runWalkthrough } from './walkthrough.js'

const USAGE = `Usage: npm run demo [-- --serve | --enroll]

Starts a local identity provider, an identity-aware proxy and an Express app protected by
@mieweb/trusted-proxy-auth-express on 127.0.0.1, then shows what happens for a request through the
proxy, straight to the app, with a forged assertion, across a key rotation and during a key outage.

  --serve   keep everything running afterwards, to try it in a browser (Ctrl+C stops)
  --enroll  skip the walkthrough: start an app that is not enrolled yet and keep it running, to enroll it
            with the one-click "Trust this proxy" page in a browser (Ctrl+C stops)
  --help    show this text`

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    line(USAGE)
    return 0
  }
  const unknown = argv.filter((argument) => argument !== '--serve' && argument !== '--enroll')
  if (unknown.length > 0 || (argv.includes('--serve') && argv.includes('--enroll'))) {
    console.error(`${unknown.length > 0 ? `unknown argument: ${unknown.join(' ')}` : 'choose --serve or --enroll'}\n\n${USAGE}`)
    return 2
  }
  if (argv.includes('--enroll')) return enroll()
  const walkthrough = await runWalkthrough()
  if (!argv.includes('--serve')) {
    await walkthrough.close()
    return walkthrough.failed === 0 ? 0 : 1
  }
  line()
  line(bold('Serving. Open in a browser:'))
  line(`   ${cyan(`${walkthrough.proxy.url}/`)}   through the proxy: you are Ada`)
  line(`   ${cyan(`${walkthrough.app.url}/`)}   straight to the app: 401 problem+json`)
  line('Ctrl+C stops.')
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  await walkthrough.close()
  return walkthrough.failed === 0 ? 0 : 1
}

function untilInterrupted(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
}

/** `--enroll`: an app waiting to be enrolled through the page, until Ctrl+C. */
async function enroll(): Promise<number> {
  const stack = await startEnrollmentStack((text) => line(dim(`   app log: ${text}`)))
  line(bold('trusted-proxy-auth demo: enroll an app with the one-click page') + dim(' — everything runs on 127.0.0.1'))
  line()
  line(`   identity provider (keys)  ${cyan(stack.issuer.jwksUrl)}`)
  line(`   identity-aware proxy      ${cyan(stack.proxy.url)}  ${dim('logs everyone in as ada@example.com')}`)
  line(`   Express app               ${cyan(stack.app.url)}  ${dim('trustedProxyAuth({ enrollment: true }), not enrolled yet')}`)
  line(`   enrollment record         ${stack.file}`)
  line()
  line(bold('Open in a browser (through the proxy):'))
  line(`   ${cyan(stack.enrollUrl)}`)
  line(`   enrollment code: ${bold(stack.currentCode() ?? '(see the app log above)')}`)
  line(dim('   Until you press "Trust this proxy", the app answers 503 not_enrolled:'))
  line(`   ${cyan(`${stack.proxy.url}/api/me`)}`)
  line(dim('   After 5 wrong codes reload the page to try again; after a revoke the app logs a new code above. Ctrl+C stops.'))
  await untilInterrupted()
  await stack.close()
  return 0
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    console.error('the demo failed:', error instanceof Error ? error.message : error)
    process.exitCode = 1
  },
)
