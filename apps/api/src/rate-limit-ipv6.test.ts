import { postMessage } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from './api.fixture.js';

/** Clients come through a trusted proxy on loopback, so the test can be any IPv6 address. */
describe('IPv6 clients are rate limited per /64', () => {
  let api: RunningApi;
  beforeAll(async () => {
    api = await startApi({ RATE_LIMIT_PER_MINUTE: '3', TRUST_PROXY: 'loopback' });
  });
  afterAll(() => api.close());
  const from = (client: string) => postMessage(api.baseUrl, 'hi', { localAddress: '127.0.74.1', headers: { 'x-forwarded-for': client } });

  it('so rotating addresses inside one /64 gains nothing, while the next /64 has its own budget', async () => {
    const rotating = ['2001:db8:5:6::1', '2001:db8:5:6::2', '2001:db8:5:6:ffff:ffff:ffff:ffff', '2001:db8:5:6:abcd::9'];
    const statuses = [];
    for (const address of rotating) statuses.push((await from(address)).status);
    expect(statuses).toEqual([202, 202, 202, 429]);
    const neighbour = await from('2001:db8:5:7::1');
    expect(neighbour.status).toBe(202);
    expect(neighbour.json().ip).toBe('2001:db8:5:7::1'); // recorded per address, limited per /64
  });
});
