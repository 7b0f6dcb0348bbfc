import { ADMIN_TOKEN, asAdmin, expectError, openEventStream, postMessage, request, type EventStream } from '@msgpipe/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../test/api.fixture.js';

/** Reads have a per-client budget of their own (READ_RATE_LIMIT_PER_MINUTE), apart from sends. */
describe('the read budget', () => {
  let api: RunningApi;
  beforeAll(async () => {
    api = await startApi({ ADMIN_TOKEN, READ_RATE_LIMIT_PER_MINUTE: '3', RATE_LIMIT_PER_MINUTE: '2', TRUST_PROXY: 'loopback' });
  });
  afterAll(() => api.close());
  const streams: EventStream[] = [];
  afterEach(() => {
    for (const stream of streams.splice(0)) stream.close();
  });

  const read = (path: string, localAddress: string, headers: Record<string, string> = {}) => request(api.baseUrl, path, { localAddress, headers });
  const connect = async (localAddress: string) => {
    const stream = await openEventStream(api.baseUrl, '/v1/stream', { localAddress });
    streams.push(stream);
    return stream;
  };

  it('counts history reads, message reads and stream connects alike, then answers 429 with when to come back', async () => {
    const ip = '127.0.80.1';
    const { id } = (await postMessage(api.baseUrl, 'hi', { localAddress: ip })).json();
    const history = await read('/v1/history', ip);
    expect(history.status).toBe(200);
    expect(history.headers['ratelimit-policy']).toBe('"reads";q=3;w=60');
    expect(history.headers.ratelimit).toMatch(/^"reads";r=2;t=\d+$/);
    expect((await read(`/v1/messages/${id}`, ip)).status).toBe(200);
    expect((await connect(ip)).status).toBe(200);

    for (const path of ['/v1/history', `/v1/messages/${id}`, '/v1/stream']) {
      const refused = await read(path, ip);
      expectError(refused, 429, 'rate_limited');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(refused.headers.ratelimit).toMatch(/^"reads";r=0;t=\d+$/);
    }
  });

  it('is a budget of its own: reading does not spend the send budget, nor sending the read budget', async () => {
    const ip = '127.0.80.2';
    for (let reads = 0; reads < 3; reads++) expect((await read('/v1/history', ip)).status).toBe(200);
    expect((await read('/v1/history', ip)).status).toBe(429);
    expect((await postMessage(api.baseUrl, 'one', { localAddress: ip })).status).toBe(202);
    expect((await postMessage(api.baseUrl, 'two', { localAddress: ip })).status).toBe(202);
    expect((await postMessage(api.baseUrl, 'three', { localAddress: ip })).status).toBe(429);

    const reader = '127.0.80.3';
    expect((await postMessage(api.baseUrl, 'one', { localAddress: reader })).status).toBe(202);
    expect((await postMessage(api.baseUrl, 'two', { localAddress: reader })).status).toBe(202);
    expect((await read('/v1/history', reader)).status).toBe(200);
  });

  it('is per client: another address, or another IPv6 /64, has a full budget', async () => {
    for (let reads = 0; reads < 3; reads++) expect((await read('/v1/history', '127.0.80.4')).status).toBe(200);
    expect((await read('/v1/history', '127.0.80.4')).status).toBe(429);
    expect((await read('/v1/history', '127.0.80.5')).status).toBe(200);

    const proxy = '127.0.80.6';
    const via = (client: string) => read('/v1/history', proxy, { 'x-forwarded-for': client });
    for (const client of ['2001:db8:80::1', '2001:db8:80::2', '2001:db8:80::3']) expect((await via(client)).status).toBe(200);
    expect((await via('2001:db8:80::4')).status).toBe(429);
    expect((await via('2001:db8:81::1')).status).toBe(200);
  });

  it('does not count an admin’s reads', async () => {
    const ip = '127.0.80.7';
    const { id } = (await postMessage(api.baseUrl, 'hi', { localAddress: ip })).json();
    for (let reads = 0; reads < 5; reads++) expect((await read(`/v1/messages/${id}`, ip, asAdmin)).status).toBe(200);
    expect((await read(`/v1/messages/${id}`, ip)).status).toBe(200);
  });
});

describe('READ_RATE_LIMIT_PER_MINUTE=0', () => {
  let api: RunningApi;
  beforeAll(async () => {
    api = await startApi({ READ_RATE_LIMIT_PER_MINUTE: '0' });
  });
  afterAll(() => api.close());

  it('turns the read budget off', async () => {
    for (let reads = 0; reads < 10; reads++) {
      const response = await request(api.baseUrl, '/v1/history', { localAddress: '127.0.80.8' });
      expect(response.status).toBe(200);
      expect(response.headers.ratelimit).toBeUndefined();
    }
  });
});
