/**
 * The page's one script and one stylesheet, served from the mount path so the Content-Security-Policy can say
 * `script-src 'self'; style-src 'self'` with no inline code. Both languages serve the same bytes, generated from
 * contract/enrollment-page.json.
 */
export { ENROLLMENT_PAGE_SCRIPT as PAGE_SCRIPT, ENROLLMENT_PAGE_STYLE as PAGE_STYLE } from '../../generated/contract.js'
