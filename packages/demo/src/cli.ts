import { bold, cyan, line } from './output.js'
import { runWalkthrough } from './walkthrough.js'

const USAGE = `Usage: npm run demo [-- --serve]

Starts a local identity provider, an identity-aware proxy and an Express app protected by
@mieweb/trusted-proxy-auth-express on 127.0.0.1, then shows what happens for a request through the
proxy, straight to the app, with a forged assertion, across a key rotation and during a key outage.

  --serve   keep everything running afterwards, to try it in a browser (Ctrl+C stops)
  --help    show this text`

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    line(USAGE)
    return 0
  }
  const unknown = argv.filter((argument) => argument !== '--serve')
  if (unknown.length > 0) {
    console.error(`unknown argument: ${unknown.join(' ')}\n\n${USAGE}`)
    return 2
  }
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

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    console.error('the demo failed:', error instanceof Error ? error.message : error)
    process.exitCode = 1
  },
)
