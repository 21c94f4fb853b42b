#!/usr/bin/env node
// The published bin. It lives outside dist/ so that npm links it on install even in a fresh clone,
// before the first build; the command itself is the built dist/cli/main.js.
try {
  await import('../dist/cli/main.js')
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist')) throw error
  process.stderr.write('trusted-proxy-auth is not built yet: run `npm run build` in the repository first\n')
  process.exitCode = 2
}
