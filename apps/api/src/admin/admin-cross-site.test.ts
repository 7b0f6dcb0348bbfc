import type { HistoryEntry } from '@msgpipe/shared';
import { ADMIN_TOKEN, asAdmin, request, type RequestOptions } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../test/api.fixture.js';

/** What a browser sends when a page on another site posts to the admin routes: the credentials it holds for this origin. */
const basic = { authorization: `Basic ${Buffer.from(`ops:${ADMIN_TOKEN}`).toString('base64')}` };
const EVIL = 'https://evil.example';

/**
 * The attack: a `text/plain` body (no CORS preflight) that bull-board still reads
 * as JSON, adding a job with an `ip` and options of the attacker's choosing.
 */
const forgedJob = JSON.stringify({ name: 'forged', data: { id: 'forged-id', ip: '203.0.113.66', message: 'hi', sendTime: new Date(0).toISOString() }, options: {} });
function entry(id: string): HistoryEntry {
  const now = new Date().toISOString();
  return { id, message: 'm', sendTime: now, status: 'completed', response: 'r', respondedAt: now };
}

const addJob = (headers: Record<string, string>): RequestOptions => ({
  method: 'POST',
  headers: { ...basic, 'content-type': 'text/plain', ...headers },
  body: forgedJob,
});

/** Request headers a browser sets, and a page cannot: where the request comes from. */
const CROSS_SITE = [
  ['a cross-site page (Sec-Fetch-Site and Origin)', { 'sec-fetch-site': 'cross-site', origin: EVIL }],
  ['another site of the same registrable domain', { 'sec-fetch-site': 'same-site', origin: 'https://other.example.com' }],
  ['a browser that sends only Sec-Fetch-Site', { 'sec-fetch-site': 'cross-site' }],
  ['a browser that sends only Origin', { origin: EVIL }],
  ['an opaque origin (sandboxed frame, file://)', { origin: 'null' }],
  ['a request no page started, from a browser with an Origin', { 'sec-fetch-site': 'none', origin: EVIL }],
] as const;

describe('state-changing admin requests from other sites', () => {
  let api: RunningApi;
  beforeAll(async () => {
    api = await startApi({ ADMIN_TOKEN });
  });
  afterAll(() => api.close());

  const jobs = async () => (await api.queues.counts()).total.waiting;

  it.each(CROSS_SITE)('refuses a forged bull-board job from %s: 403, no job added', async (_, headers) => {
    const before = await jobs();
    const response = await request(api.baseUrl, '/admin/queues/api/queues/messages/add', addJob(headers));
    expect(response.status).toBe(403);
    expect(response.json()).toEqual({ error: { code: 'cross_site_request', message: expect.any(String) } });
    expect(await jobs()).toBe(before);
  });

  it.each([
    ['PUT', '/admin/queues/api/queues/messages/pause'],
    ['PUT', '/admin/queues/api/queues/messages/clean/completed'],
    ['PUT', '/admin/queues/api/queues/messages/empty'],
    ['PUT', '/admin/queues/api/queues/messages/retry/failed'],
    ['DELETE', '/admin/queues/api/queues/messages/obliterate'],
    ['POST', '/admin'],
    ['POST', '/admin/anything'],
    ['DELETE', '/v1/ips/192.0.2.1/history'],
  ])('refuses %s %s from another site, whatever the route does', async (method, path) => {
    const response = await request(api.baseUrl, path, { method, headers: { ...basic, 'sec-fetch-site': 'cross-site', origin: EVIL } });
    expect(response.status).toBe(403);
    expect(response.json().error.code).toBe('cross_site_request');
  });

  it('keeps an IP’s history when another site asks to erase it', async () => {
    await api.recorder.record('192.0.2.9', entry('kept-1'));
    const erase = await request(api.baseUrl, '/v1/ips/192.0.2.9/history', { method: 'DELETE', headers: { ...asAdmin, origin: EVIL } });
    expect(erase.status).toBe(403);
    expect(await api.history.list('192.0.2.9', 10)).toHaveLength(1);
  });

  it('lets the dashboard’s own requests through: same origin, by Sec-Fetch-Site or by Origin', async () => {
    const before = await jobs();
    const sameOrigin = await request(api.baseUrl, '/admin/queues/api/queues/messages/add', addJob({ 'sec-fetch-site': 'same-origin', origin: api.baseUrl }));
    expect(sameOrigin.status).toBe(200);
    const byOrigin = await request(api.baseUrl, '/admin/queues/api/queues/messages/add', addJob({ origin: api.baseUrl }));
    expect(byOrigin.status).toBe(200);
    expect(await jobs()).toBe(before + 2);
  });

  it('lets clients that are not browsers through (no Origin, no Sec-Fetch-Site): curl, scripts', async () => {
    await api.recorder.record('192.0.2.10', entry('gone-1'));
    const erase = await request(api.baseUrl, '/v1/ips/192.0.2.10/history', { method: 'DELETE', headers: asAdmin });
    expect(erase.status).toBe(204);
    expect(await api.history.list('192.0.2.10', 10)).toEqual([]);
  });

  it('lets other sites link to the admin pages: reading is not changing', async () => {
    for (const path of ['/admin', '/admin/queues', '/v1/stats']) {
      // What a browser sends when the admin follows a link on another site to this page.
      const link = { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' };
      const response = await request(api.baseUrl, path, { headers: { ...basic, ...link } });
      expect(response.status, path).toBe(200);
    }
  });
});
