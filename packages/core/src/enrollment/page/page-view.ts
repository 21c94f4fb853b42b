import type { KeyStatus } from '../../key-store.js'
import type { ArrivedAssertion } from './arrived-assertions.js'
import { CSRF_FIELD } from './csrf.js'
import { WRONG_ATTEMPTS_PER_SESSION } from './enrollment-code-guard.js'
import type { FailureCount } from './enrollment-aware-verifier.js'
import type { EnrollmentCheckResult, EnrollmentRecord, SettingValue } from './enrollment-operations.js'
import type { Html } from './html.js'
import { html } from './html.js'
import { SETTING_FIELD_PREFIX, settingRows } from './settings-form.js'

export interface PageMessage {
  readonly kind: 'error' | 'success' | 'notice'
  readonly title: string
  readonly text: string
}

interface Common {
  readonly mountPath: string
  readonly csrfToken: string
  readonly message?: PageMessage | undefined
}

export interface NotEnrolledView extends Common {
  readonly arrived: readonly ArrivedAssertion[]
  /** The header the checks read the challenge assertion from. */
  readonly assertionHeader: string | null
  readonly settings: Readonly<Record<string, SettingValue>>
  readonly checks: readonly EnrollmentCheckResult[] | null
  readonly allPassed: boolean
  readonly codeRemembered: boolean
  readonly peerAddress: string | null
}

export interface StatusView extends Common {
  readonly record: EnrollmentRecord
  readonly administrator: string
  readonly keyStatus: KeyStatus
  readonly failures: readonly FailureCount[]
  readonly checks: readonly EnrollmentCheckResult[] | null
  readonly now: number
}

const RESULT_TEXT = { pass: 'Passed', fail: 'Failed', not_run: 'Not run' } as const

function layout(title: string, mountPath: string, body: Html): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · trusted-proxy-auth</title>
<link rel="stylesheet" href="${mountPath}/enroll.css">
<script src="${mountPath}/enroll.js" defer></script>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`.text
}

function messageBox(message: PageMessage | undefined): Html {
  if (!message) return html``
  const role = message.kind === 'error' ? 'alert' : 'status'
  return html`<div class="${message.kind}" role="${role}" tabindex="-1" data-focus id="outcome"><h2>${message.title}</h2><p>${message.text}</p></div>`
}

function csrfInput(token: string): Html {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${token}">`
}

function time(seconds: unknown): string {
  return typeof seconds === 'number' && Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString().replace('.000Z', 'Z') : String(seconds)
}

function json(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value)
}

function age(fromMs: number | null, now: number): string {
  if (fromMs === null) return 'never'
  const seconds = Math.max(0, Math.round((now - fromMs) / 1000))
  if (seconds < 120) return `${seconds} s ago`
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h ago`
  return `${Math.round(seconds / 86_400)} days ago`
}

function arrivedSection(arrived: readonly ArrivedAssertion[], assertionHeader: string | null, peerAddress: string | null): Html {
  const from = peerAddress ? html` from <span class="mono">${peerAddress}</span>` : html``
  if (arrived.length === 0) {
    return html`<h2 id="arrived">What arrived with this request</h2>
<div class="error" role="alert"><p>No signed assertion arrived with this request${from}. Open this page through the identity-aware proxy (its public address), not the application’s own address.</p></div>`
  }
  const items = arrived.map((item) => {
    const used = assertionHeader !== null && item.header.toLowerCase() === assertionHeader.toLowerCase()
    if (!item.decoded) {
      return html`<h3>Header <code>${item.header}</code>${used ? ' (checked)' : ''}</h3><p>Its value looks like a signed token but does not decode to a JSON header and claims.</p>`
    }
    const { header, claims } = item.decoded
    const highlights: Array<[string, unknown]> = [
      ['alg', header['alg']],
      ['kid', header['kid']],
      ['iss (issuer)', claims['iss']],
      ['aud (audience)', claims['aud']],
      ['sub (subject)', claims['sub']],
      ['exp (expires)', claims['exp'] === undefined ? undefined : time(claims['exp'])],
      ['iat (issued)', claims['iat'] === undefined ? undefined : time(claims['iat'])],
    ]
    return html`<h3>Header <code>${item.header}</code>${used ? ' (checked)' : ''}</h3>
<table aria-label="Main values of the assertion in ${item.header}"><tbody>
${highlights.map(([name, value]) => html`<tr><th scope="row">${name}</th><td class="mono">${value === undefined ? '(absent)' : json(value)}</td></tr>`)}
</tbody></table>
<details><summary>Decoded JOSE header and all claims (not verified)</summary>
<pre>${JSON.stringify(header, null, 2)}</pre>
<pre>${JSON.stringify(claims, null, 2)}</pre>
</details>`
  })
  return html`<h2 id="arrived">What arrived with this request</h2>
<p>Decoded for display only: nothing here is trusted until the checks below pass, and nothing of it is stored or logged.
${arrived.length} header${arrived.length === 1 ? '' : 's'} carried a signed assertion${from}.</p>
${items}`
}

function checksSection(checks: readonly EnrollmentCheckResult[] | null): Html {
  if (!checks) return html``
  return html`<h2 id="checks">Checks</h2>
<ol class="checks" aria-labelledby="checks">
${checks.map(
  (check) =>
    html`<li data-check="${check.id}" data-result="${check.result}"><span class="result ${check.result}">${RESULT_TEXT[check.result]}</span> ${check.title}${check.detail ? html`<span class="detail">${check.detail}</span>` : ''}</li>`,
)}
</ol>`
}

function codeField(codeRemembered: boolean): Html {
  if (codeRemembered) return html`<p class="hint">The enrollment code was accepted in this browser.</p>`
  return html`<label for="code">Enrollment code <span class="hint">Printed to the application’s log at start-up (12 characters).</span></label>
<input type="text" id="code" name="code" required autocomplete="off" autocapitalize="characters" spellcheck="false" inputmode="text" aria-describedby="code-help">
<span class="hint" id="code-help">After ${WRONG_ATTEMPTS_PER_SESSION} wrong codes this browser must reload the page to try again.</span>`
}

function settingsFields(settings: Readonly<Record<string, SettingValue>>, editable: boolean): Html {
  return html`${settingRows(settings).map((row) => {
    const id = `setting-${row.name}`
    return editable
      ? html`<label for="${id}">${row.name}<span class="hint">${row.description}</span></label><input type="text" id="${id}" name="${SETTING_FIELD_PREFIX}${row.name}" value="${row.value}" spellcheck="false">`
      : html`<input type="hidden" name="${SETTING_FIELD_PREFIX}${row.name}" value="${row.value}">`
  })}`
}

/** The page while the application is not enrolled: what arrived, the proposal, the checks, "Trust this proxy". */
export function renderNotEnrolled(view: NotEnrolledView): string {
  const trust = view.allPassed
    ? html`<h2 id="trust">Trust this proxy</h2>
<p>Every check passed. Trusting stores these settings in the enrollment record; the application then verifies every request with them, from the next request on.</p>
<form method="post" action="${view.mountPath}/trust" data-busy-text="Enrolling…">
${csrfInput(view.csrfToken)}
${settingsFields(view.settings, false)}
${codeField(view.codeRemembered)}
<button type="submit">Trust this proxy</button>
</form>`
    : html``
  const body = html`<h1>Trust this proxy</h1>
<p class="lead">This application is <strong>not enrolled</strong> yet: its protected routes answer 503 <code>not_enrolled</code> until an administrator checks and trusts the identity-aware proxy in front of it.</p>
${messageBox(view.message)}
${arrivedSection(view.arrived, view.assertionHeader, view.peerAddress)}
${checksSection(view.checks)}
${trust}
<h2 id="proposal">Proposed settings</h2>
<p>Proposed from the assertion above (and the issuer’s discovery document or the preset). Adjust them if needed, then run the checks: they use the assertion of the request that submits the form.</p>
<form method="post" action="${view.mountPath}/check" data-busy-text="Running checks…">
${csrfInput(view.csrfToken)}
${codeField(view.codeRemembered)}
${settingsFields(view.settings, true)}
<button type="submit" class="${view.allPassed ? 'secondary' : ''}">Run checks</button>
</form>`
  return layout('Trust this proxy', view.mountPath, body)
}

/** The page for an enrolled administrator: the record, the keys and their age, failures by code, re-check and revoke. */
export function renderStatus(view: StatusView): string {
  const { record, keyStatus } = view
  const enrolledAtMs = Date.parse(record.enrolledAt)
  const body = html`<h1>Enrollment status</h1>
<p class="lead">This application is <strong>enrolled</strong> and verifies every request. Signed in as <span class="mono">${view.administrator}</span>.</p>
${messageBox(view.message)}
<h2 id="record">Enrollment</h2>
<table aria-labelledby="record"><tbody>
<tr><th scope="row">Enrolled</th><td>${record.enrolledAt} (${age(enrolledAtMs, view.now)}) by <span class="mono">${record.enrolledBy.subject}</span> of <span class="mono">${record.enrolledBy.issuer}</span>, via ${record.enrolledBy.method === 'page' ? 'this page' : 'the command line'}</td></tr>
<tr><th scope="row">Key set URL</th><td class="mono">${record.keySetUrl ?? '(none)'}</td></tr>
${Object.entries(record.settings).map(([name, value]) => html`<tr><th scope="row" class="mono">${name}</th><td class="mono">${Array.isArray(value) ? value.join(', ') : String(value)}</td></tr>`)}
</tbody></table>
<h2 id="keys">Keys</h2>
<p>Key set: <strong>${keyStatus.state}</strong>, ${keyStatus.keyCount} key${keyStatus.keyCount === 1 ? '' : 's'} loaded; last fetch ${age(keyStatus.lastFetchAt, view.now)}, last successful fetch ${age(keyStatus.lastSuccessAt, view.now)}${keyStatus.lastError ? html`; last error: <span class="mono">${keyStatus.lastError}</span>` : ''}.</p>
<table aria-label="Keys seen at enrollment"><thead><tr><th scope="col">kid</th><th scope="col">Type</th><th scope="col">alg</th><th scope="col">Thumbprint (RFC 7638)</th><th scope="col">Seen</th></tr></thead><tbody>
${record.keys.map((key) => html`<tr><td class="mono">${key.kid ?? '(none)'}</td><td>${key.kty}</td><td>${key.alg ?? '(any allowed)'}</td><td class="mono">${key.thumbprint}</td><td>${age(enrolledAtMs, view.now)}</td></tr>`)}
</tbody></table>
<h2 id="failures">Recent failures</h2>
${
  view.failures.length === 0
    ? html`<p>No request has been rejected since enrollment.</p>`
    : html`<table aria-labelledby="failures"><thead><tr><th scope="col">Code</th><th scope="col">Count</th><th scope="col">Last</th></tr></thead><tbody>
${view.failures.map((failure) => html`<tr><td class="mono">${failure.code}</td><td>${failure.count}</td><td>${age(failure.lastAt, view.now)}</td></tr>`)}
</tbody></table>`
}
${checksSection(view.checks)}
<h2 id="actions">Actions</h2>
<form method="post" action="${view.mountPath}/check" data-busy-text="Running checks…">
${csrfInput(view.csrfToken)}
<button type="submit" class="secondary">Re-run the checks</button>
</form>
<form method="post" action="${view.mountPath}/revoke" data-busy-text="Revoking…">
${csrfInput(view.csrfToken)}
<p>Revoking removes the enrollment record: protected routes answer 503 <code>not_enrolled</code> at once and a new enrollment code is written to the log.</p>
<button type="submit" class="danger">Revoke this enrollment</button>
</form>`
  return layout('Enrollment status', view.mountPath, body)
}

/** A page that only explains (refused action, wrong visitor). */
export function renderMessage(mountPath: string, message: PageMessage, link: boolean): string {
  const body = html`<h1>${message.title}</h1>
${messageBox(message)}
${link ? html`<p><a href="${mountPath}">Back to the enrollment page</a></p>` : ''}`
  return layout(message.title, mountPath, body)
}
