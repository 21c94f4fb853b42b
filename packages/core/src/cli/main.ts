#!/usr/bin/env node
import { createInterface } from 'node:readline/promises'
import { runCli } from './run-cli.js'

/** A yes/no question on the terminal (asked on stderr, so that stdout stays the command's output). */
async function confirm(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr })
  try {
    return /^y(es)?$/i.test((await prompt.question(question)).trim())
  } finally {
    prompt.close()
  }
}

process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdin: process.stdin,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTerminal: process.stdout.isTTY === true,
  ...(process.stdin.isTTY === true ? { confirm } : {}),
})
