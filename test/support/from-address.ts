import { request } from 'node:http';

/**
 * HTTP requests to the local gateway from a chosen loopback address (127.0.0.2, say): the
 * connection's own source address, which the gateway puts in `requestContext.http.sourceIp` as
 * API Gateway does. No header says where a request comes from, so nothing here is trusted that
 * a client could forge; Linux routes all of 127.0.0.0/8 to loopback.
 */
export interface AddressedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: asserted field by field
  json: any;
  text: string;
}

export function requestFrom(
  localAddress: string,
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<AddressedResponse> {
  return new Promise((done, fail) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, localAddress, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text === '' ? undefined : JSON.parse(text);
        } catch {
          json = undefined;
        }
        done({ status: res.statusCode ?? 0, headers: res.headers, json, text });
      });
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end(options.body);
  });
}

/** The world's API client (test/integration/api-client.ts), from `localAddress`. */
export function apiFrom(localAddress: string, baseUrl: string) {
  return (method: string, path: string, options: { key?: string; body?: unknown; headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    return requestFrom(localAddress, baseUrl + path, { method, headers, ...(body === undefined ? {} : { body }) });
  };
}

/** A form POST (the token and introspection endpoints) from `localAddress`. */
export function formFrom(localAddress: string, url: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  return requestFrom(localAddress, url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
}
