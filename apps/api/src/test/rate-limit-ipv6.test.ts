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

describe('RATE_LIMIT_IPV6_PREFIX widens the network counted as one client', () => {
  let per48: RunningApi;
  let per56: RunningApi;
  beforeAll(async () => {
    per48 = await startApi({ RATE_LIMIT_PER_MINUTE: '2', TRUST_PROXY: 'loopback', RATE_LIMIT_IPV6_PREFIX: '48' });
    per56 = await startApi({ RATE_LIMIT_PER_MINUTE: '2', TRUST_PROXY: 'loopback', RATE_LIMIT_IPV6_PREFIX: '56' });
  });
  afterAll(async () => {
    await per48.close();
    await per56.close();
  });
  const from = (api: RunningApi, client: string) =>
    postMessage(api.baseUrl, 'hi', { localAddress: '127.0.74.2', headers: { 'x-forwarded-for': client } });

  it('/48: hopping to other /64s of the same /48 gains nothing; the next /48 has its own budget', async () => {
    const hopping = ['2001:db8:48:1::1', '2001:db8:48:ffff::1', '2001:db8:48:8000:1::1'];
    const statuses = [];
    for (const address of hopping) statuses.push((await from(per48, address)).status);
    expect(statuses).toEqual([202, 202, 429]);
    expect((await from(per48, '2001:db8:49::1')).status).toBe(202);
  });

  it('/56: the 256 /64s of a /56 share one budget; the next /56 has its own', async () => {
    const hopping = ['2001:db8:56:100::1', '2001:db8:56:1ff::1', '2001:db8:56:180::1'];
    const statuses = [];
    for (const address of hopping) statuses.push((await from(per56, address)).status);
    expect(statuses).toEqual([202, 202, 429]);
    const neighbour = await from(per56, '2001:db8:56:200::1');
    expect(neighbour.status).toBe(202);
    expect(neighbour.json().ip).toBe('2001:db8:56:200::1');
  });
});
