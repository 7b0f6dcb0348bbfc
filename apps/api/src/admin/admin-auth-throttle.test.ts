import { ADMIN_TOKEN, asAdmin, request, uniquePrefix, waitFor } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../test/api.fixture.js';

const MAX_FAILURES = 3;
const wrong = { authorization: 'Bearer not-the-admin-token-at-all' };

describe('failed admin authentications, throttled per client IP across API processes', () => {
  // Two API processes on one Redis, as behind a load balancer: they share the count.
  let first: RunningApi;
  let second: RunningApi;
  beforeAll(async () => {
    const env = { ADMIN_TOKEN, ADMIN_AUTH_FAILURES_PER_MINUTE: String(MAX_FAILURES), REDIS_PREFIX: uniquePrefix('throttle'), TRUST_PROXY: 'loopback' };
    [first, second] = await Promise.all([startApi(env), startApi(env)]);
  });
  afterAll(async () => {
    await first.close();
    await second.close();
  });

  const stats = (api: RunningApi, localAddress: string, headers: Record<string, string>) => request(api.baseUrl, '/v1/stats', { headers, localAddress });

  it('answers 401 to the first failures, then 429 with Retry-After to every try of that IP, the right token included', async () => {
    const ip = '127.0.70.1';
    for (let n = 0; n < MAX_FAILURES; n++) expect((await stats(n % 2 ? second : first, ip, wrong)).status).toBe(401);

    for (const [api, headers] of [[first, wrong], [second, wrong], [first, asAdmin], [second, asAdmin]] as const) {
      const refused = await stats(api, ip, headers);
      expect(refused.status).toBe(429);
      expect(refused.json()).toEqual({ error: { code: 'auth_throttled', message: expect.any(String) } });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    }
    // The dashboard and the other admin routes are behind the same count.
    expect((await request(first.baseUrl, '/admin/queues', { headers: asAdmin, localAddress: ip })).status).toBe(429);
    expect((await request(second.baseUrl, '/metrics', { headers: asAdmin, localAddress: ip })).status).toBe(429);
  });

  it('keeps the count in Redis under a key that expires with its minute', async () => {
    const key = first.keys.adminAuthFailures('127.0.70.1');
    expect(Number(await first.redis.get(key))).toBeGreaterThan(MAX_FAILURES);
    const ttl = await first.redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('lets the IP in again once its minute is over', async () => {
    await first.redis.pexpire(first.keys.adminAuthFailures('127.0.70.1'), 1);
    await waitFor('the count to expire', async () => (await stats(first, '127.0.70.1', asAdmin)).status === 200);
    expect((await stats(second, '127.0.70.1', wrong)).status).toBe(401);
  });

  it('leaves other IPs alone', async () => {
    for (let n = 0; n <= MAX_FAILURES; n++) await stats(first, '127.0.70.2', wrong);
    expect((await stats(first, '127.0.70.2', asAdmin)).status).toBe(429);
    expect((await stats(first, '127.0.70.3', asAdmin)).status).toBe(200);
    expect((await stats(second, '127.0.70.3', wrong)).status).toBe(401);
  });

  it('counts an IPv6 client’s whole /64, as the rate limit does', async () => {
    // Through a trusted proxy on loopback, which names the client in X-Forwarded-For.
    const stats6 = (address: string, headers: Record<string, string>) =>
      request(first.baseUrl, '/v1/stats', { localAddress: '127.0.70.4', headers: { ...headers, 'x-forwarded-for': address } });
    for (let n = 1; n <= MAX_FAILURES; n++) expect((await stats6(`2001:db8:70::${n}`, wrong)).status).toBe(401);
    expect((await stats6('2001:db8:70::ffff', asAdmin)).status).toBe(429);
    expect((await stats6('2001:db8:71::1', asAdmin)).status).toBe(200);
  });

  it('does not count requests without credentials: a browser’s first visit is not a failure', async () => {
    for (let n = 0; n < MAX_FAILURES * 2; n++) expect((await stats(first, '127.0.70.5', {})).status).toBe(401);
    expect(await first.redis.exists(first.keys.adminAuthFailures('127.0.70.5'))).toBe(0);
    expect((await stats(second, '127.0.70.5', asAdmin)).status).toBe(200);
  });

  it('while Redis cannot be reached: refuses a wrong token (401), answers 503 to the right one, serves /metrics', async () => {
    const cut = await startApi({ ADMIN_TOKEN, ADMIN_AUTH_FAILURES_PER_MINUTE: String(MAX_FAILURES) });
    cut.redis.disconnect();
    try {
      expect((await request(cut.baseUrl, '/v1/stats', { headers: wrong })).status).toBe(401);
      const stats = await request(cut.baseUrl, '/v1/stats', { headers: asAdmin });
      expect(stats.status).toBe(503);
      expect(stats.json().error.code).toBe('unavailable');
      expect((await request(cut.baseUrl, '/metrics', { headers: asAdmin })).status).toBe(200);
      expect((await request(cut.baseUrl, '/metrics', { headers: wrong })).status).toBe(401);
    } finally {
      await cut.close();
    }
  });

  it('counts a wrong token offered to GET /v1/messages/{id} (where the admin token reads any message)', async () => {
    const ip = '127.0.70.6';
    const read = (headers: Record<string, string>) => request(second.baseUrl, '/v1/messages/AAAAAAAAAAAAAAAAAAAAAA', { headers, localAddress: ip });
    for (let n = 0; n < MAX_FAILURES; n++) expect((await read(wrong)).status).toBe(404);
    expect((await read(wrong)).status).toBe(429);
    expect((await read(asAdmin)).status).toBe(429);
    expect((await read({})).status).toBe(404); // without a token it is an ordinary read
  });
});
