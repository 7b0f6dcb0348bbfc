import { ADMIN_TOKEN, asAdmin, request } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../test/api.fixture.js';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('the queue dashboard (bull-board) at /admin/queues', () => {
  let api: RunningApi;
  beforeAll(async () => {
    api = await startApi({ ADMIN_TOKEN });
  });
  afterAll(() => api.close());

  // Who gets in (every credential, for every admin route) is admin-access.test.ts's subject.
  it('serves the dashboard page, Basic auth with the token as password', async () => {
    const response = await request(api.baseUrl, '/admin/queues', { headers: { authorization: basic('anyone', ADMIN_TOKEN) } });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/text\/html/);
    expect(response.text).toContain('msgpipe');
  });

  it('serves the page’s scripts and styles behind the same auth', async () => {
    const authorization = basic('anyone', ADMIN_TOKEN);
    const page = await request(api.baseUrl, '/admin/queues', { headers: { authorization } });
    const assets = [...page.text.matchAll(/(?:src|href)="(static\/[^"]+\.(?:js|css))"/g)].map((match) => match[1]!);
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) {
      expect((await request(api.baseUrl, `/admin/queues/${asset}`, { headers: { authorization } })).status).toBe(200);
    }
    expect((await request(api.baseUrl, `/admin/queues/${assets[0]}`)).status).toBe(401);
  });

  it('lists the message queue through its API', async () => {
    const response = await request(api.baseUrl, '/admin/queues/api/queues', { headers: asAdmin });
    expect(response.status).toBe(200);
    expect(response.json().queues.map((queue: { name: string }) => queue.name)).toEqual(['messages']);
  });
});
