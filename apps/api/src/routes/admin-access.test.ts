import { ADMIN_TOKEN, request } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../test/api.fixture.js';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** Every admin route, with a method and whether a success has a body. */
const ADMIN_ROUTES = [
  ['GET', '/v1/stats', 200],
  ['GET', '/v1/ips/192.0.2.1/history', 200],
  ['DELETE', '/v1/ips/192.0.2.1/history', 204],
  ['GET', '/metrics', 200],
  ['GET', '/admin', 200],
  ['GET', '/admin/live', 200],
  ['GET', '/admin/queues', 200],
] as const;

const DENIED = [
  ['no credentials', undefined],
  ['a wrong bearer token', 'Bearer wrong-token-wrong-token'],
  ['the token with a character missing', `Bearer ${ADMIN_TOKEN.slice(0, -1)}`],
  ['a wrong Basic password', basic('admin', 'wrong')],
  ['the token as Basic user name', basic(ADMIN_TOKEN, '')],
  ['another scheme', `Token ${ADMIN_TOKEN}`],
  ['garbage', '!!!'],
] as const;

const ALLOWED = [
  ['the bearer token', `Bearer ${ADMIN_TOKEN}`],
  ['lower-case bearer', `bearer ${ADMIN_TOKEN}`],
  ['Basic with any user and the token as password', basic('anyone', ADMIN_TOKEN)],
  ['Basic with an empty user', basic('', ADMIN_TOKEN)],
] as const;

describe('admin routes', () => {
  let api: RunningApi;
  let withoutToken: RunningApi;
  beforeAll(async () => {
    // Every wrong credential against every route, all from 127.0.0.1: with the throttle off
    // (0), whose own subject is admin-auth-throttle.test.ts.
    api = await startApi({ ADMIN_TOKEN, ADMIN_AUTH_FAILURES_PER_MINUTE: '0' });
    withoutToken = await startApi({ ADMIN_AUTH_FAILURES_PER_MINUTE: '0' });
  });
  afterAll(async () => {
    await api.close();
    await withoutToken.close();
  });

  describe.each(ADMIN_ROUTES)('%s %s', (method, path, okStatus) => {
    it.each(DENIED)('answers 401 unauthorized with a Basic challenge for %s', async (_, authorization) => {
      const response = await request(api.baseUrl, path, { method, headers: authorization ? { authorization } : {} });
      expect(response.status).toBe(401);
      expect(response.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
      expect(response.headers['www-authenticate']).toMatch(/^Basic realm="msgpipe admin"/);
    });

    it.each(ALLOWED)('lets %s in', async (_, authorization) => {
      const response = await request(api.baseUrl, path, { method, headers: { authorization } });
      expect(response.status).toBe(okStatus);
    });

    it('lets nobody in when no ADMIN_TOKEN is configured', async () => {
      for (const authorization of [undefined, 'Bearer ', basic('admin', ''), 'Bearer undefined']) {
        const response = await request(withoutToken.baseUrl, path, { method, headers: authorization ? { authorization } : {} });
        expect(response.status, String(authorization)).toBe(401);
      }
    });
  });

  it('leaves the public routes public', async () => {
    for (const path of ['/healthz', '/readyz', '/v1/history']) {
      expect((await request(api.baseUrl, path)).status, path).toBe(200);
    }
  });
});
