import { request as httpRequest } from 'node:http'

export interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/**
 * A GET over node:http with header names sent in the case given and an array value sent as separate
 * header lines, which fetch cannot do: it lower-cases names and joins repeats with ", ".
 */
export function rawGet(baseUrl: string, path: string, headers: Readonly<Record<string, string | readonly string[]>>): Promise<RawResponse> {
  const url = new URL(path, baseUrl)
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port,
        path: url.pathname + url.search,
        method: 'GET',
        headers: headers as Record<string, string | string[]>,
        agent: false,
      },
      (response) => {
        let body = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => (body += chunk))
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }))
        response.on('error', reject)
      },
    )
    request.on('error', reject)
    request.end()
  })
}
