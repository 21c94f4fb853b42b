export function renderConfiguration(): string
export function renderErrors(): string
export function renderChecks(): string
export function renderPresets(): string
/** Every generated page, keyed by its path relative to docs/. */
export function renderReferencePages(): Record<string, string>
