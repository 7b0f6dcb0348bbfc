import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { Timeouts } from './timeouts.js';

export interface RequestOptions {
  method?: string;
  headers?: OutgoingHttpHeaders;
  body?: string | Buffer;
  /** Source address, e.g. 127.0.0.7: on Linux every 127.x address is local, so tests can be many clients. */
  localAddress?: string;
  timeoutMs?: number;
}

export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json<T = any>(): T;
}

/** A plain HTTP request against a real server, from a chosen source address. */
export function request(baseUrl: string, path: string, options: RequestOptions = {}): Promise<TestResponse> {
  const url = new URL(path, baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        localAddress: options.localAddress,
        timeout: options.timeoutMs ?? Timeouts.request,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request to ${url} timed out`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** POST a JSON message, the common case. */
export function postMessage(baseUrl: string, message: unknown, options: RequestOptions = {}): Promise<TestResponse> {
  return request(baseUrl, '/v1/messages', {
    ...options,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify({ message }),
  });
}
