import { runServe } from './run-serve.js'

process.exitCode = await runServe({ env: process.env, stdout: (text) => process.stdout.write(text), enroll: process.argv.includes('--enroll') })
