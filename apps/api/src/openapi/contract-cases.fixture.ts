import type { RunningApi } from '../test/api.fixture.js';
import type { Answer } from './document-checker.fixture.js';
import { A_MESSAGE_ID, basicAdmin, exhaust, freshIp, openStream, otherSite, send, wrongToken } from './contract-requests.fixture.js';

/** One documented answer and a real request that gets it. */
export interface ContractCase {
  /** `METHOD /path/{param}` as the document has it. */
  operation: string;
  status: number;
  code?: string;
  answer(api: RunningApi): Promise<Answer>;
}

/** Limits the contract API runs with, low enough that a few requests reach each. */
export const CONTRACT_ENV = {
  RATE_LIMIT_PER_MINUTE: '2',
  READ_RATE_LIMIT_PER_MINUTE: '3',
  ADMIN_AUTH_FAILURES_PER_MINUTE: '1',
  STREAMS_PER_IP: '1',
  MESSAGE_MAX_BYTES: '64',
};

const json = (body: unknown) => JSON.stringify(body);
const post = (call: Parameters<typeof send>[3] = {}) => (api: RunningApi) => send(api, 'POST', '/v1/messages', call);
/** One failed admin attempt is allowed a minute (CONTRACT_ENV); the second is throttled. */
const throttled = (method: string, path: string) => (api: RunningApi) => exhaust(api, 2, method, path, { headers: wrongToken });
const unauthorized = (method: string, path: string) => (api: RunningApi) => send(api, method, path, { headers: { authorization: undefined } });
const fromOtherSite = (method: string, path: string) => (api: RunningApi) => send(api, method, path, { headers: otherSite });

/** A message of `ip`'s own, sent and accepted. */
async function sentMessageId(api: RunningApi, ip: string): Promise<string> {
  return (JSON.parse((await send(api, 'POST', '/v1/messages', { ip })).text) as { id: string }).id;
}

/** The answers that need a particular request; 431 and 503 are added for every operation that documents them. */
export const CONTRACT_CASES: ContractCase[] = [
  { operation: 'POST /v1/messages', status: 202, answer: post() },
  { operation: 'POST /v1/messages', status: 202, answer: post({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'message=by+form' }) },
  { operation: 'POST /v1/messages', status: 200, answer: post({ query: '?wait=30000' }) },
  { operation: 'POST /v1/messages', status: 400, code: 'invalid_query', answer: post({ query: '?wait=soon' }) },
  { operation: 'POST /v1/messages', status: 400, code: 'invalid_idempotency_key', answer: post({ headers: { 'idempotency-key': 'k'.repeat(201) } }) },
  { operation: 'POST /v1/messages', status: 400, code: 'invalid_json', answer: post({ body: '{"message":' }) },
  { operation: 'POST /v1/messages', status: 400, code: 'invalid_body', answer: post({ body: json({ message: 42 }) }) },
  { operation: 'POST /v1/messages', status: 400, code: 'empty_message', answer: post({ body: json({ message: ' \n ' }) }) },
  { operation: 'POST /v1/messages', status: 403, code: 'cross_site_request', answer: post({ headers: otherSite }) },
  { operation: 'POST /v1/messages', status: 413, code: 'message_too_large', answer: post({ body: json({ message: 'x'.repeat(65) }) }) },
  { operation: 'POST /v1/messages', status: 415, code: 'unsupported_media_type', answer: post({ headers: { 'content-type': 'text/plain' } }) },
  { operation: 'POST /v1/messages', status: 429, code: 'rate_limited', answer: (api) => exhaust(api, 3, 'POST', '/v1/messages') },

  {
    operation: 'GET /v1/messages/{id}',
    status: 200,
    answer: async (api) => {
      const ip = freshIp();
      return send(api, 'GET', `/v1/messages/${await sentMessageId(api, ip)}`, { ip });
    },
  },
  { operation: 'GET /v1/messages/{id}', status: 403, code: 'cross_site_request', answer: fromOtherSite('GET', '/v1/messages/{id}') },
  { operation: 'GET /v1/messages/{id}', status: 404, code: 'not_found', answer: (api) => send(api, 'GET', '/v1/messages/{id}') },
  { operation: 'GET /v1/messages/{id}', status: 429, code: 'rate_limited', answer: (api) => exhaust(api, 4, 'GET', '/v1/messages/{id}') },
  { operation: 'GET /v1/messages/{id}', status: 429, code: 'auth_throttled', answer: throttled('GET', '/v1/messages/{id}') },

  { operation: 'GET /v1/history', status: 200, answer: (api) => send(api, 'GET', '/v1/history', { query: '?limit=5' }) },
  { operation: 'GET /v1/history', status: 400, code: 'invalid_query', answer: (api) => send(api, 'GET', '/v1/history', { query: '?limit=0' }) },
  { operation: 'GET /v1/history', status: 403, code: 'cross_site_request', answer: fromOtherSite('GET', '/v1/history') },
  { operation: 'GET /v1/history', status: 429, code: 'rate_limited', answer: (api) => exhaust(api, 4, 'GET', '/v1/history') },
  { operation: 'DELETE /v1/history', status: 204, answer: (api) => send(api, 'DELETE', '/v1/history') },
  {
    operation: 'DELETE /v1/history',
    status: 403,
    code: 'cross_site_request',
    // A browser without Sec-Fetch-Site: only its Origin tells another site's page.
    answer: (api) => send(api, 'DELETE', '/v1/history', { headers: { origin: 'http://elsewhere.example' } }),
  },

  { operation: 'GET /v1/ips/{ip}/history', status: 200, answer: (api) => send(api, 'GET', '/v1/ips/{ip}/history', { headers: basicAdmin }) },
  { operation: 'GET /v1/ips/{ip}/history', status: 400, code: 'invalid_ip', answer: (api) => send(api, 'GET', '/v1/ips/not-an-ip/history') },
  { operation: 'GET /v1/ips/{ip}/history', status: 400, code: 'invalid_query', answer: (api) => send(api, 'GET', '/v1/ips/{ip}/history', { query: '?limit=x' }) },
  { operation: 'GET /v1/ips/{ip}/history', status: 401, code: 'unauthorized', answer: unauthorized('GET', '/v1/ips/{ip}/history') },
  { operation: 'GET /v1/ips/{ip}/history', status: 403, code: 'cross_site_request', answer: fromOtherSite('GET', '/v1/ips/{ip}/history') },
  { operation: 'GET /v1/ips/{ip}/history', status: 429, code: 'auth_throttled', answer: throttled('GET', '/v1/ips/{ip}/history') },
  { operation: 'DELETE /v1/ips/{ip}/history', status: 204, answer: (api) => send(api, 'DELETE', '/v1/ips/{ip}/history') },
  { operation: 'DELETE /v1/ips/{ip}/history', status: 400, code: 'invalid_ip', answer: (api) => send(api, 'DELETE', '/v1/ips/1.2.3/history') },
  { operation: 'DELETE /v1/ips/{ip}/history', status: 401, code: 'unauthorized', answer: unauthorized('DELETE', '/v1/ips/{ip}/history') },
  { operation: 'DELETE /v1/ips/{ip}/history', status: 403, code: 'cross_site_request', answer: fromOtherSite('DELETE', '/v1/ips/{ip}/history') },
  { operation: 'DELETE /v1/ips/{ip}/history', status: 429, code: 'auth_throttled', answer: throttled('DELETE', '/v1/ips/{ip}/history') },

  { operation: 'GET /v1/stats', status: 200, answer: (api) => send(api, 'GET', '/v1/stats', { query: '?top=3' }) },
  { operation: 'GET /v1/stats', status: 400, code: 'invalid_query', answer: (api) => send(api, 'GET', '/v1/stats', { query: '?top=101' }) },
  { operation: 'GET /v1/stats', status: 401, code: 'unauthorized', answer: unauthorized('GET', '/v1/stats') },
  { operation: 'GET /v1/stats', status: 403, code: 'cross_site_request', answer: fromOtherSite('GET', '/v1/stats') },
  { operation: 'GET /v1/stats', status: 429, code: 'auth_throttled', answer: throttled('GET', '/v1/stats') },

  {
    operation: 'GET /v1/stream',
    status: 200,
    answer: async (api) => {
      const stream = await openStream(api);
      stream.close();
      return stream;
    },
  },
  { operation: 'GET /v1/stream', status: 403, code: 'cross_site_request', answer: fromOtherSite('GET', '/v1/stream') },
  {
    operation: 'GET /v1/stream',
    status: 429,
    code: 'rate_limited',
    // The reads budget is one for history, messages and streams: spent on the history first.
    answer: async (api) => {
      const ip = freshIp();
      await exhaust(api, 3, 'GET', '/v1/history', { ip });
      return send(api, 'GET', '/v1/stream', { ip });
    },
  },
  {
    operation: 'GET /v1/stream',
    status: 429,
    code: 'too_many_streams',
    answer: async (api) => {
      const ip = freshIp();
      const first = await openStream(api, ip);
      try {
        return await send(api, 'GET', '/v1/stream', { ip });
      } finally {
        first.close();
      }
    },
  },

  { operation: 'GET /healthz', status: 200, answer: (api) => send(api, 'GET', '/healthz') },
  { operation: 'GET /readyz', status: 200, answer: (api) => send(api, 'GET', '/readyz') },
  { operation: 'GET /metrics', status: 200, answer: (api) => send(api, 'GET', '/metrics') },
  { operation: 'GET /metrics', status: 401, code: 'unauthorized', answer: unauthorized('GET', '/metrics') },
  { operation: 'GET /metrics', status: 429, code: 'auth_throttled', answer: throttled('GET', '/metrics') },
  { operation: 'GET /', status: 200, answer: (api) => send(api, 'GET', '/') },
  { operation: 'GET /docs', status: 200, answer: (api) => send(api, 'GET', '/docs') },
  { operation: 'GET /openapi.json', status: 200, answer: (api) => send(api, 'GET', '/openapi.json') },
  { operation: 'GET /admin', status: 200, answer: (api) => send(api, 'GET', '/admin') },
  { operation: 'GET /admin/live', status: 200, answer: (api) => send(api, 'GET', '/admin/live') },
  { operation: 'GET /admin/search', status: 200, answer: (api) => send(api, 'GET', '/admin/search', { query: '?q=192.0.2.1' }) },
  { operation: 'GET /admin/search', status: 400, answer: (api) => send(api, 'GET', '/admin/search', { query: '?q=neither' }) },
  { operation: 'GET /admin/search', status: 404, answer: (api) => send(api, 'GET', '/admin/search', { query: `?q=${A_MESSAGE_ID}` }) },
  ...['/admin', '/admin/live', '/admin/search'].flatMap((path): ContractCase[] => [
    { operation: `GET ${path}`, status: 401, code: 'unauthorized', answer: unauthorized('GET', path) },
    { operation: `GET ${path}`, status: 429, code: 'auth_throttled', answer: throttled('GET', path) },
  ]),
];
