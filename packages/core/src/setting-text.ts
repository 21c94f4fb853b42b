/** A comma-separated setting as a list: surrounding whitespace and empty items are dropped (contract/env.json). */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
}
