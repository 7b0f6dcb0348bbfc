import { ADMIN_TOKEN, asAdmin, openEventStream, request, type RequestOptions } from '@msgpipe/testkit';
import type { RunningApi } from '../test/api.fixture.js';
import { RawClient } from '../test/raw-client.fixture.js';
import type { Answer } from './document-checker.fixture.js';

/** A source address no other request of the run has used: a fresh budget, stream count and throttle. */
let lastHost = 0;
export const freshIp = () => `127.0.${71 + Math.floor(++lastHost / 250)}.${(lastHost % 250) + 1}`;

export const wrongToken = { authorization: 'Bearer not-the-admin-token' };
export const basicAdmin = { authorization: `Basic ${Buffer.from(`ops:${ADMIN_TOKEN}`).toString('base64')}` };
/** What a browser adds to a request a page of another site makes (no navigation). */
export const otherSite = { origin: 'http://elsewhere.example', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors' };
export const A_MESSAGE_ID = 'AAAAAAAAAAAAAAAAAAAAAA';

/** The path of a documented operation with its parameters filled in. */
export const concrete = (path: string) => path.replace('{id}', A_MESSAGE_ID).replace('{ip}', '192.0.2.1');

export interface Call {
  ip?: string;
  headers?: RequestOptions['headers'];
  body?: string;
  query?: string;
}

/** A request as a client makes it; an operation's usual request when `call` says no more. */
export async function send(api: RunningApi, method: string, path: string, call: Call = {}): Promise<Answer> {
  const admin = path.startsWith('/v1/ips/') || path.startsWith('/v1/stats') || path.startsWith('/admin') || path === '/metrics';
  const json = method === 'POST' ? { 'content-type': 'application/json' } : {};
  // A header given as undefined is left out (an admin route's request without the token).
  const headers = Object.entries({ ...json, ...(admin ? asAdmin : {}), ...call.headers }).filter(([, value]) => value !== undefined);
  return request(api.baseUrl, `${concrete(path)}${call.query ?? ''}`, {
    method,
    localAddress: call.ip ?? freshIp(),
    headers: Object.fromEntries(headers),
    body: call.body ?? (method === 'POST' ? JSON.stringify({ message: 'hello' }) : undefined),
  });
}

/** Sends `times` requests from one address, answers the last: for budgets and throttles. */
export async function exhaust(api: RunningApi, times: number, method: string, path: string, call: Call = {}): Promise<Answer> {
  const ip = call.ip ?? freshIp();
  for (let n = 1; n < times; n++) await send(api, method, path, { ...call, ip });
  return send(api, method, path, { ...call, ip });
}

/** Opens the event stream and closes it once its answer's head is in. */
export async function openStream(api: RunningApi, ip = freshIp()): Promise<Answer & { close(): void }> {
  const stream = await openEventStream(api.baseUrl, '/v1/stream', { localAddress: ip });
  return { status: stream.status, headers: stream.headers, text: '', close: () => stream.close() };
}

/** Writes `raw` on a socket of its own and reads the one answer (for what Node's parser answers itself). */
export async function rawExchange(api: RunningApi, raw: string, body?: { trickle: string }): Promise<Answer> {
  const client = await RawClient.open(api.baseUrl);
  try {
    client.write(raw);
    const trickle = body && client.trickle(body.trickle, 200);
    const answer = await client.nextResponse(1);
    trickle?.stop();
    return { status: answer.status, headers: answer.headers, text: answer.body };
  } finally {
    client.close();
  }
}

/** A request whose headers are over Node's limit: refused before any route sees it. */
export const tooLargeHeaders = (api: RunningApi, method: string, path: string) =>
  rawExchange(api, `${method} ${concrete(path)} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`);

/** A request whose headers never end: cut off by the headers timeout, before any route sees it. */
export const slowHeaders = (api: RunningApi, method: string, path: string) =>
  rawExchange(api, `${method} ${concrete(path)} HTTP/1.1\r\nHost: x\r\nX-Slow: `);

/** A POST whose body stops arriving: cut off by the request timeout. */
export function slowBody(api: RunningApi): Promise<Answer> {
  const body = JSON.stringify({ message: 'slow' });
  return rawExchange(api, `POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length + 100}\r\n\r\n`, {
    trickle: body,
  });
}
