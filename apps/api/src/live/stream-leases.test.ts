import { createRedis, KeySchema, loadConfig, type RedisClient } from '@msgpipe/shared';
import { expectError, openEventStream, request, testRedisUrl, uniquePrefix, waitFor, type EventStream } from '@msgpipe/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../test/api.fixture.js';
import { StreamLeases } from './stream-leases.js';

const opened: EventStream[] = [];
afterEach(() => {
  for (const stream of opened.splice(0)) stream.close();
});

/** STREAMS_PER_IP, counted in Redis over every API process of a prefix. */
describe('streams per client', () => {
  let first: RunningApi;
  let second: RunningApi;
  beforeAll(async () => {
    const shared = { REDIS_PREFIX: uniquePrefix('streams'), STREAMS_PER_IP: '3', READ_RATE_LIMIT_PER_MINUTE: '0', TRUST_PROXY: 'loopback' };
    first = await startApi(shared);
    second = await startApi(shared);
  });
  afterAll(async () => {
    await first.close();
    await second.close();
  });

  const connect = async (api: RunningApi, localAddress: string, headers: Record<string, string> = {}) => {
    const stream = await openEventStream(api.baseUrl, '/v1/stream', { localAddress, headers });
    opened.push(stream);
    return stream;
  };

  it('caps one address’s open streams over every API process, with 429 too_many_streams beyond', async () => {
    const ip = '127.0.81.1';
    const held = [await connect(first, ip), await connect(first, ip), await connect(second, ip)];
    expect(held.map((stream) => stream.status)).toEqual([200, 200, 200]);

    for (const api of [first, second]) {
      expect((await connect(api, ip)).status).toBe(429);
      // Refused, so its body ends: read it whole for the error shape.
      const refused = await request(api.baseUrl, '/v1/stream', { localAddress: ip });
      expect(expectError(refused, 429, 'too_many_streams')).toMatch(/At most 3 streams/);
    }
    expect((await connect(second, '127.0.81.2')).status).toBe(200); // another client is not affected

    held[0]!.close();
    const again = await waitFor('a place to come free once a stream closes', async () => {
      const stream = await connect(second, ip);
      return stream.status === 200 && stream;
    });
    expect(again.status).toBe(200);
  });

  it('counts an IPv6 client by its network (RATE_LIMIT_IPV6_PREFIX)', async () => {
    const proxy = '127.0.81.3';
    const via = (client: string) => connect(first, proxy, { 'x-forwarded-for': client });
    for (const client of ['2001:db8:81::1', '2001:db8:81::2', '2001:db8:81::3']) expect((await via(client)).status).toBe(200);
    expect((await via('2001:db8:81::4')).status).toBe(429);
    expect((await via('2001:db8:82::1')).status).toBe(200);
  });
});

describe('stream leases', () => {
  let redis: RedisClient;
  let keys: KeySchema;
  beforeAll(async () => {
    redis = createRedis(loadConfig({ REDIS_URL: testRedisUrl() }).redis, 'producer', 'stream-leases-test');
    keys = new KeySchema(uniquePrefix('leases'));
    await waitFor('the test Redis connection', () => redis.status === 'ready');
  });
  afterAll(() => redis.quit());

  it('free the places of a process that died without releasing them, once their leases end', async () => {
    const leases = new StreamLeases(redis, keys, 2, 300);
    expect(await leases.take('127.0.81.4')).toBeDefined();
    expect(await leases.take('127.0.81.4')).toBeDefined();
    expect(await leases.take('127.0.81.4')).toBeUndefined();
    // Neither is released nor renewed, as when their process is killed.
    await waitFor('a place after the leases ended', async () => (await leases.take('127.0.81.4')) !== undefined);
  });

  it('keep a renewed lease, and give the key a TTL of one lease', async () => {
    const leases = new StreamLeases(redis, keys, 1, 60_000);
    const lease = (await leases.take('127.0.81.5'))!;
    const key = keys.streamLeases('127.0.81.5');
    const pttl = await redis.pttl(key);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(60_000);
    const [, firstEnd] = await redis.zrange(key, 0, 0, 'WITHSCORES');
    await waitFor('the renewal to move the lease end later', async () => {
      await lease.renew();
      const [, end] = await redis.zrange(key, 0, 0, 'WITHSCORES');
      return Number(end) > Number(firstEnd);
    });
    expect(await redis.zcard(key)).toBe(1);
    expect(await leases.take('127.0.81.5')).toBeUndefined();
    await lease.release();
    expect(await redis.exists(key)).toBe(0);
    expect(await leases.take('127.0.81.5')).toBeDefined();
  });
});
