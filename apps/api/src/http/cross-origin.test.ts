import { expectError, request, type RequestOptions } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../test/api.fixture.js';

const LISTED = 'https://chat.example';
const EVIL = 'https://evil.example';

/** The form another site's page submits: no preflight, the visitor's browser sends it as is. */
const formPost = (headers: Record<string, string>): RequestOptions => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: 'message=sent+by+another+site',
});

/** What browsers put on a request a page of another site made (set by the browser, not the page). */
const FROM_ANOTHER_SITE = [
  ['a cross-site page (Sec-Fetch-Site and Origin)', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', origin: EVIL }],
  ['another site of the same registrable domain', { 'sec-fetch-site': 'same-site', origin: 'https://evil.chat.example' }],
  ['a browser that sends only Sec-Fetch-Site', { 'sec-fetch-site': 'cross-site' }],
  ['a browser that sends only Origin', { origin: EVIL }],
  ['an opaque origin (sandboxed frame, file://)', { origin: 'null' }],
  ['a listed site’s sibling on another scheme', { 'sec-fetch-site': 'cross-site', origin: 'http://chat.example' }],
] as const;

describe('requests that pages of other sites make browsers send', () => {
  let api: RunningApi;
  beforeAll(async () => {
    api = await startApi({ CORS_ORIGINS: `${LISTED}, http://localhost:5173`, RATE_LIMIT_PER_MINUTE: '2', READ_RATE_LIMIT_PER_MINUTE: '3' });
  });
  afterAll(() => api.close());

  const post = (localAddress: string, headers: Record<string, string>) => request(api.baseUrl, '/v1/messages', { ...formPost(headers), localAddress });
  const waiting = async () => (await api.queues.counts()).total.waiting;

  it.each(FROM_ANOTHER_SITE.map(([what, headers], index) => [what, headers, `127.0.83.${index + 1}`] as const))(
    'refuses a message posted from %s: 403, nothing queued, no budget spent',
    async (_, headers, ip) => {
      const before = await waiting();
      const refused = await post(ip, headers);
      expectError(refused, 403, 'cross_site_request');
      expect(refused.headers['access-control-allow-origin']).toBeUndefined();
      expect(await waiting()).toBe(before);
      // The visitor's own budget (2 a minute) is whole.
      expect((await post(ip, {})).status).toBe(202);
      expect((await post(ip, {})).status).toBe(202);
    },
  );

  it('accepts the API’s own pages, and clients that are not browsers', async () => {
    expect((await post('127.0.83.11', { 'sec-fetch-site': 'same-origin', origin: api.baseUrl })).status).toBe(202);
    expect((await post('127.0.83.12', { origin: api.baseUrl })).status).toBe(202); // a browser without Sec-Fetch-Site
    expect((await post('127.0.83.13', {})).status).toBe(202); // curl
  });

  it('accepts a listed origin, and lets its page read the answer and the headers it needs', async () => {
    const accepted = await post('127.0.83.14', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors', origin: LISTED });
    expect(accepted.status).toBe(202);
    expect(accepted.headers['access-control-allow-origin']).toBe(LISTED);
    expect(accepted.headers['access-control-allow-credentials']).toBeUndefined();
    expect(String(accepted.headers['access-control-expose-headers']).split(',')).toEqual(
      expect.arrayContaining(['Location', 'Retry-After', 'RateLimit', 'RateLimit-Policy']),
    );
    expect(accepted.headers.vary).toMatch(/Origin/);

    // Its refusals are readable too: the page can tell the user when to come back.
    await post('127.0.83.14', { origin: LISTED });
    const limited = await post('127.0.83.14', { 'sec-fetch-site': 'cross-site', origin: LISTED });
    expectError(limited, 429, 'rate_limited');
    expect(limited.headers['access-control-allow-origin']).toBe(LISTED);
  });

  it('answers a listed origin’s preflight, and gives an unlisted one nothing to go on', async () => {
    const preflight = (origin: string) =>
      request(api.baseUrl, '/v1/messages', {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,idempotency-key', 'sec-fetch-site': 'cross-site' },
      });
    const listed = await preflight('http://localhost:5173');
    expect(listed.status).toBe(204);
    expect(listed.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(String(listed.headers['access-control-allow-methods']).split(',')).toEqual(expect.arrayContaining(['POST', 'GET', 'DELETE']));
    expect(String(listed.headers['access-control-allow-headers']).toLowerCase().split(',')).toEqual(
      expect.arrayContaining(['content-type', 'idempotency-key', 'last-event-id']),
    );
    expect(listed.headers['access-control-max-age']).toBe('600');

    const unlisted = await preflight(EVIL);
    expect(unlisted.headers['access-control-allow-origin']).toBeUndefined();
    expect(unlisted.headers['access-control-allow-methods']).toBeUndefined();
  });

  it('keeps a visitor’s history when another site asks to erase it', async () => {
    const now = new Date().toISOString();
    await api.recorder.record('127.0.83.15', { id: 'kept-kept-kept-kept-01', message: 'm', sendTime: now, status: 'completed', response: 'r', respondedAt: now });
    const erase = await request(api.baseUrl, '/v1/history', { method: 'DELETE', localAddress: '127.0.83.15', headers: { 'sec-fetch-site': 'cross-site', origin: EVIL } });
    expectError(erase, 403, 'cross_site_request');
    expect(await api.history.list('127.0.83.15', 10)).toHaveLength(1);
  });

  it('refuses the loads another site’s page makes (images, scripts) before they spend the visitor’s reads', async () => {
    const ip = '127.0.83.16';
    for (const dest of ['image', 'script', 'empty']) {
      const load = await request(api.baseUrl, '/v1/history', { localAddress: ip, headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': dest } });
      expectError(load, 403, 'cross_site_request');
    }
    const stream = await request(api.baseUrl, '/v1/stream', { localAddress: ip, headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' } });
    expectError(stream, 403, 'cross_site_request');
    // All three reads of the minute are left: a link followed from another site, the API's own page, a listed one.
    const link = await request(api.baseUrl, '/v1/history', { localAddress: ip, headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' } });
    expect(link.status).toBe(200);
    const own = await request(api.baseUrl, '/v1/history', { localAddress: ip, headers: { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors' } });
    expect(own.status).toBe(200);
    const listed = await request(api.baseUrl, '/v1/history', { localAddress: ip, headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors', origin: LISTED } });
    expect(listed.status).toBe(200);
    expect(listed.headers['access-control-allow-origin']).toBe(LISTED);
  });
});

describe('without CORS_ORIGINS', () => {
  let api: RunningApi;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(() => api.close());

  it('refuses every other site’s posts and lets none read an answer', async () => {
    const refused = await request(api.baseUrl, '/v1/messages', { ...formPost({ 'sec-fetch-site': 'cross-site', origin: LISTED }), localAddress: '127.0.83.21' });
    expectError(refused, 403, 'cross_site_request');
    const read = await request(api.baseUrl, '/v1/history', { localAddress: '127.0.83.21', headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors', origin: LISTED } });
    expect(read.status).toBe(403);
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
    expect((await request(api.baseUrl, '/v1/messages', { ...formPost({}), localAddress: '127.0.83.21' })).status).toBe(202);
  });
});
