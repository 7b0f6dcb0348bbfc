import { postMessage, testRedisUrl, waitFor } from '@msgpipe/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from './api.fixture.js';

/**
 * Counts the commands the API's own connection sends per request, through Redis MONITOR: a
 * refused message must cost one round trip, with or without an Idempotency-Key.
 */
describe('Redis round trips of POST /v1/messages', () => {
  let api: RunningApi;
  let monitor: Awaited<ReturnType<Redis['monitor']>>;
  let seen: string[] = [];

  beforeAll(async () => {
    api = await startApi({ RATE_LIMIT_PER_MINUTE: '2' });
    const apiPort = (api.redis as Redis).stream.localPort;
    monitor = await new Redis(testRedisUrl()).monitor();
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source.endsWith(`:${apiPort}`)) seen.push(args[0]!.toLowerCase());
    });
    // Load the scripts first, so no NOSCRIPT fallback (EVALSHA, then EVAL) is counted below.
    await postMessage(api.baseUrl, 'warm up', { localAddress: '127.0.77.1', headers: { 'idempotency-key': 'warm-up' } });
  });
  afterAll(async () => {
    monitor.disconnect();
    await api.close();
  });

  /** The commands one request sent, once a PING sent after it shows MONITOR caught up. */
  async function commandsOf(send: () => Promise<unknown>): Promise<string[]> {
    seen = [];
    await send();
    await api.redis.ping();
    await waitFor('MONITOR to show the PING', () => seen.includes('ping'));
    return seen.slice(0, seen.indexOf('ping'));
  }

  it('accepts a message in two: the rate limit, then the enqueue', async () => {
    const commands = await commandsOf(() => postMessage(api.baseUrl, 'one', { localAddress: '127.0.77.2' }));
    expect(commands).toEqual(['evalsha', 'evalsha']);
  });

  it('accepts a message with an Idempotency-Key in three: the rate limit with the claim, the enqueue, the confirmation', async () => {
    const commands = await commandsOf(() => postMessage(api.baseUrl, 'keyed', { localAddress: '127.0.77.4', headers: { 'idempotency-key': 'k-2' } }));
    expect(commands).toEqual(['evalsha', 'evalsha', 'set']);
  });

  it('refuses a rate-limited message in one, with or without an Idempotency-Key', async () => {
    const ip = '127.0.77.3';
    for (const n of [1, 2]) expect((await postMessage(api.baseUrl, `fill ${n}`, { localAddress: ip })).status).toBe(202);

    let status = 0;
    const plain = await commandsOf(async () => (status = (await postMessage(api.baseUrl, 'over', { localAddress: ip })).status));
    expect(status).toBe(429);
    expect(plain).toEqual(['evalsha']);

    const keyed = await commandsOf(
      async () => (status = (await postMessage(api.baseUrl, 'over', { localAddress: ip, headers: { 'idempotency-key': 'k-1' } })).status),
    );
    expect(status).toBe(429);
    expect(keyed).toEqual(['evalsha']);
  });
});
