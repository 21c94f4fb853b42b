import type { CommanderError } from 'commander'

/**
 * The fixed texts of the CLI's argument errors, word for word the Python CLI's (a test compares both). They
 * never quote what was typed: a mistyped command line often holds the token itself (`verify "$T" "$T"`,
 * `verify --"$T"`), and whatever is echoed ends up in terminals, CI logs and shell history. Only flag names
 * the CLI itself defines are named.
 */
export const ARGUMENT_ERRORS = {
  unknownOption: 'unknown option (see trusted-proxy-auth verify --help)',
  tooManyArguments: 'too many arguments: give one TOKEN, or - for standard input',
  unknownCommand: 'unknown command (see trusted-proxy-auth --help)',
  invalid: 'invalid arguments (see trusted-proxy-auth --help)',
  needsValue: (flag: string) => `${flag} needs a value`,
} as const

/** The fixed text for a commander parse error; its own message (which quotes the arguments) is dropped. */
export function argumentErrorMessage(error: CommanderError, knownFlags: readonly string[]): string {
  switch (error.code) {
    case 'commander.unknownOption':
      return ARGUMENT_ERRORS.unknownOption
    case 'commander.excessArguments':
      return ARGUMENT_ERRORS.tooManyArguments
    case 'commander.unknownCommand':
      return ARGUMENT_ERRORS.unknownCommand
    case 'commander.optionMissingArgument': {
      // The message names the option by its definition ("option '--now <seconds>' argument missing").
      const flag = knownFlags.find((name) => error.message.includes(`'${name} `))
      return flag ? ARGUMENT_ERRORS.needsValue(flag) : ARGUMENT_ERRORS.invalid
    }
    default:
      return ARGUMENT_ERRORS.invalid
  }
}
