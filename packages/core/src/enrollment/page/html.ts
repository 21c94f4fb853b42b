/** Text or attribute value made inert in HTML (every character with markup meaning becomes a reference). */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"'`=]/g, (character) => `&#${character.charCodeAt(0)};`)
}

/** A tagged template whose interpolations are escaped unless they are already-rendered `Html`. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text
  }
}

type Part = Html | string | number | null | undefined | false | readonly Part[]

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return ''
  if (part instanceof Html) return part.text
  if (Array.isArray(part)) return (part as readonly Part[]).map(render).join('')
  return escapeHtml(part)
}

export function html(strings: TemplateStringsArray, ...parts: Part[]): Html {
  let text = strings[0]!
  parts.forEach((part, index) => {
    text += render(part) + strings[index + 1]!
  })
  return new Html(text)
}
