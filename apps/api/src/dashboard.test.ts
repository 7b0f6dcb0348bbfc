import { request } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from './api.fixture.js';

const TOKEN = 'dashboard-test-token-0123456789';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('the queue dashboard (bull-board) at /admin/queues', () => {
  let api: RunningApi;
  let withoutToken: RunningApi;
  beforeAll(async () => {
    api = await startApi({ ADMIN_TOKEN: TOKEN });
    withoutToken = await startApi();
  });
  afterAll(async () => {
    await api.close();
    await withoutToken.close();
  });

  it.each([
    ['no credentials', undefined],
    ['a wrong bearer token', 'Bearer wrong-token'],
    ['a wrong Basic password', basic('admin', 'wrong')],
    ['the token as Basic user name instead of password', basic(TOKEN, '')],
    ['another scheme', `Token ${TOKEN}`],
  ])('answers 401 with a Basic challenge for %s', async (_, authorization) => {
    const response = await request(api.baseUrl, '/admin/queues', { headers: authorization ? { authorization } : {} });
    expect(response.status).toBe(401);
    expect(response.json().error.code).toBe('unauthorized');
    expect(response.headers['www-authenticate']).toMatch(/^Basic realm=/);
  });

  it.each([
    ['the bearer token', `Bearer ${TOKEN}`],
    ['Basic with any user and the token as password', basic('anyone', TOKEN)],
  ])('serves the dashboard page for %s', async (_, authorization) => {
    const response = await request(api.baseUrl, '/admin/queues', { headers: { authorization } });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/text\/html/);
    expect(response.text).toContain('msgpipe');
  });

  it('serves the page’s scripts and styles behind the same auth', async () => {
    const authorization = basic('anyone', TOKEN);
    const page = await request(api.baseUrl, '/admin/queues', { headers: { authorization } });
    const assets = [...page.text.matchAll(/(?:src|href)="(static\/[^"]+\.(?:js|css))"/g)].map((match) => match[1]!);
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) {
      expect((await request(api.baseUrl, `/admin/queues/${asset}`, { headers: { authorization } })).status).toBe(200);
    }
    expect((await request(api.baseUrl, `/admin/queues/${assets[0]}`)).status).toBe(401);
  });

  it('lists the message queue through its API', async () => {
    const response = await request(api.baseUrl, '/admin/queues/api/queues', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
    expect(response.json().queues.map((queue: { name: string }) => queue.name)).toEqual(['messages']);
  });

  it('lets nobody in when no ADMIN_TOKEN is configured', async () => {
    const response = await request(withoutToken.baseUrl, '/admin/queues', { headers: { authorization: 'Bearer undefined' } });
    expect(response.status).toBe(401);
  });
});
