import type { IncomingMessage, ServerResponse } from 'node:http'
import { rawHeaderPairs } from '../../node-http.js'
import type { EnrollmentPage, EnrollmentPageResponse } from './enrollment-page.js'
import { FormTooLargeError, readForm } from './form-body.js'

/**
 * The page's answer for a Node request (Express, Koa, `serve`); `path` is the request's full path (default
 * `req.url`, which Express and Koa rewrite under a mount). The form is `parsedBody` when a body parser
 * already read it (an object), else read from the stream (URL-encoded only, at most MAX_FORM_BYTES: 413 past it).
 */
export async function enrollmentResponseForNode(
  page: EnrollmentPage,
  req: IncomingMessage,
  request: { peerAddress: string | null; path?: string; parsedBody?: unknown },
): Promise<EnrollmentPageResponse> {
  const { parsedBody } = request
  let form: Record<string, string> | null = null
  if ((req.method ?? 'GET').toUpperCase() === 'POST') {
    if (parsedBody !== null && typeof parsedBody === 'object' && !Array.isArray(parsedBody) && Object.keys(parsedBody).length > 0) {
      form = Object.fromEntries(Object.entries(parsedBody as Record<string, unknown>).filter(([, value]) => typeof value === 'string')) as Record<string, string>
    } else if (req.readable) {
      try {
        form = await readForm(req, req.headers['content-type'])
      } catch (error) {
        if (!(error instanceof FormTooLargeError)) throw error
        return { status: 413, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', connection: 'close' }, body: `${error.message}\n` }
      }
    } else {
      form = {}
    }
  }
  return page.handle({ method: req.method ?? 'GET', path: request.path ?? req.url ?? '/', headers: rawHeaderPairs(req), form, peerAddress: request.peerAddress })
}

/** Writes a page answer to a Node response (a HEAD request gets the headers only). */
export function writeEnrollmentResponse(res: ServerResponse, answer: EnrollmentPageResponse, method: string | undefined): void {
  res.writeHead(answer.status, { ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)) })
  res.end(method?.toUpperCase() === 'HEAD' ? undefined : answer.body)
}
