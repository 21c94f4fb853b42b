import type { ConfigProblem } from '../errors.js'
import validateRecord from '../generated/enrollment-record-validator.js'

interface SchemaError {
  instancePath: string
  keyword: string
  params?: Record<string, unknown>
}

const ENROLLMENT_FILE = 'TRUSTED_PROXY_ENROLLMENT_FILE'

/** At most this many schema problems are listed; a wholly wrong file would otherwise list hundreds. */
const MAX_LISTED = 20

/**
 * Where and which rule of the schema failed, never the value found: a record's values are settings, and a
 * misplaced secret must not reach a log through this message. Only JSON Pointer segments that are setting or
 * member names of the schema are kept; any other segment is replaced by `*`.
 */
function location(error: SchemaError): string {
  const segments = error.instancePath.split('/').slice(1)
  const named = segments.map((segment) => (/^(?:[A-Za-z]{1,40}|TRUSTED_PROXY_[A-Z0-9_]{1,80}|[0-9]{1,4})$/.test(segment) ? segment : '*'))
  const extra = error.params?.['additionalProperty'] ?? error.params?.['propertyName']
  const member = typeof extra === 'string' && /^(?:[A-Za-z]{1,40}|TRUSTED_PROXY_[A-Z0-9_]{1,80})$/.test(extra) ? `/${extra}` : ''
  return `/${named.join('/')}${member}`.replace(/^\/\//, '/')
}

/**
 * The record's problems against contract/schema/enrollment-record.schema.json (validation code compiled by
 * Ajv at generate time), each as `TRUSTED_PROXY_ENROLLMENT_FILE <where> <rule>`; empty when it conforms.
 */
export function recordSchemaProblems(record: unknown): ConfigProblem[] {
  if (validateRecord(record)) return []
  const errors = ((validateRecord as unknown as { errors?: SchemaError[] | null }).errors ?? [])
  const problems: ConfigProblem[] = []
  const seen = new Set<string>()
  for (const error of errors) {
    const message = `does not match the enrollment record schema at ${location(error)} (${error.keyword})`
    if (seen.has(message)) continue
    seen.add(message)
    problems.push({ variable: ENROLLMENT_FILE, message })
    if (problems.length === MAX_LISTED) break
  }
  if (problems.length === 0) problems.push({ variable: ENROLLMENT_FILE, message: 'does not match the enrollment record schema' })
  return problems
}
