/** The parts of contract/errors.json the suite checks responses against. */
export interface ErrorContractEntry {
  readonly code: string
  readonly status: number
  readonly oauthError: string | null
  readonly title: string
  readonly message: string
}

export interface ErrorContract {
  readonly problemTypeBase: string
  readonly errors: readonly ErrorContractEntry[]
}

/** The core's error class, as the adapters under test import it (so `instanceof` holds in them). */
export type CoreErrorConstructor = new (code: string, options?: { retryAfter?: number }) => Error

let contract: ErrorContract | undefined
let errorClass: CoreErrorConstructor | undefined

/**
 * Loads the error contract from the installed core at run time. A static import would make this
 * package's build depend on the core's, while the core's tests already depend on this package.
 */
export async function loadErrorContract(): Promise<ErrorContract> {
  if (!contract) {
    const specifier = '@mieweb/trusted-proxy-auth'
    const core = (await import(specifier)) as { ERROR_CONTRACT: ErrorContract; TrustedProxyAuthError: CoreErrorConstructor }
    contract = core.ERROR_CONTRACT
    errorClass = core.TrustedProxyAuthError
  }
  return contract
}

export function errorContract(): ErrorContract {
  if (!contract) throw new Error('the error contract is loaded in the suite beforeAll')
  return contract
}

/** `new TrustedProxyAuthError(code, options)` of the installed core. */
export function coreError(code: string, options?: { retryAfter?: number }): Error {
  if (!errorClass) throw new Error('the core is loaded in the suite beforeAll')
  return new errorClass(code, options)
}
