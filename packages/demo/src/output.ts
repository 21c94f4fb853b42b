/** Terminal output of the walkthrough: colour only on a TTY, and nothing that could hold a secret. */
const useColor = process.stdout.isTTY === true && !('NO_COLOR' in process.env)

const paint = (code: string) => (text: string) => (useColor ? `\u001b[${code}m${text}\u001b[0m` : text)
export const bold = paint('1')
export const dim = paint('2')
export const green = paint('32')
export const red = paint('31')
export const yellow = paint('33')
export const cyan = paint('36')

export function line(text = ''): void {
  console.log(text)
}

export function heading(step: number, title: string): void {
  line()
  line(bold(`${step}. ${title}`))
}

/** One indented detail line under a step. */
export function detail(text: string): void {
  line(`   ${text}`)
}

export function outcome(passed: boolean, text: string): void {
  line(`   ${passed ? green('✔') : red('✘')} ${text}`)
}
