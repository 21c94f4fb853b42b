export function renderContract(): string
