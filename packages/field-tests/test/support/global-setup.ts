import { ALL_TOOLS, requireTools } from './tools.js'

/** Prints the one line that says which tools are missing and how to install them (each file then skips). */
export default function announceMissingTools(): void {
  const { skipReason } = requireTools(...ALL_TOOLS)
  if (skipReason) console.warn(skipReason)
}
