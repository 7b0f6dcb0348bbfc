import { createRedis, KeySchema, loadConfig, type RedisClient } from '@msgpipe/shared';
import { RedisServer, startCluster, uniquePrefix, waitFor, type TestCluster } from '@msgpipe/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admission, type AdmissionRequest } from './admission.js';
import { IdempotencyKeys, type AcceptedMessage } from './idempotency.js';

// The admission on real Redis, a single server and a 3-master cluster: verdicts, and how many
// script calls a crowd of admissions made at once costs.

interface Target {
  redis: RedisClient;
  servers: readonly RedisServer[];
}

const SENT = new Date().toISOString();
const planned = (ip: string, n: number): AcceptedMessage => ({ id: `msg-${ip}-${n}`, ip, sendTime: SENT });

/** Script calls the servers ran since the last reset (EVALSHA, and EVAL for a script not cached yet). */
async function scriptCalls(servers: readonly RedisServer[]): Promise<number> {
  let calls = 0;
  for (const stats of await onEach(servers, (server) => server.info('commandstats'))) {
    for (const match of stats.matchAll(/^cmdstat_eval(?:sha)?:calls=(\d+)/gm)) calls += Number(match[1]);
  }
  return calls;
}

const resetStats = (servers: readonly RedisServer[]) => onEach(servers, (server) => server.config('RESETSTAT'));

/** `command` on each server by itself (not through the cluster client), in order. */
async function onEach<T>(servers: readonly RedisServer[], command: (server: Redis) => Promise<T>): Promise<T[]> {
  return Promise.all(
    servers.map(async (server) => {
      const client = new Redis(server.url);
      try {
        return await command(client);
      } finally {
        client.disconnect();
      }
    }),
  );
}

function admissionOn(target: Target, limit: number) {
  const keys = new KeySchema(uniquePrefix());
  const idempotency = new IdempotencyKeys(target.redis, keys);
  return { admission: new Admission(target.redis, keys, idempotency, limit), keys, idempotency };
}

function describeOn(name: string, open: () => Promise<Target & { close(): Promise<void> }>) {
  describe(`Admission on ${name}`, () => {
    let target: Target & { close(): Promise<void> };
    beforeAll(async () => {
      target = await open();
    });
    afterAll(() => target?.close());

    it('admits a crowd arriving at once in two script calls: the first alone, the rest together', async () => {
      const { admission } = admissionOn(target, 1000);
      const crowd = (round: number): AdmissionRequest[] =>
        Array.from({ length: 40 }, (_, n) => ({
          ip: `192.0.2.${n % 8}`,
          idempotency: n % 2 === 0 ? { clientKey: `key-${round}-${n}`, planned: planned(`192.0.2.${n % 8}`, n) } : undefined,
        }));
      // A first crowd loads the script on every node, so no EVAL fallback is counted below.
      await Promise.all(crowd(1).map((request) => admission.admit(request)));
      await resetStats(target.servers);
      const verdicts = await Promise.all(crowd(2).map((request) => admission.admit(request)));
      expect(verdicts.every((verdict) => verdict.rate?.allowed)).toBe(true);
      expect(verdicts.filter((verdict) => verdict.claim?.kind === 'new')).toHaveLength(20);
      const calls = await scriptCalls(target.servers);
      // One call on a single server; on the cluster one per slot the IPs' keys fall in.
      if (!target.redis.isCluster) expect(calls).toBe(2);
      else expect(calls).toBeLessThanOrEqual(1 + 8);
    });

    it('keeps the limit exact within one call: 31 messages of one IP with a limit of 30 refuse exactly the last', async () => {
      const { admission, keys } = admissionOn(target, 30);
      const ip = '198.51.100.7';
      const verdicts = await Promise.all(
        Array.from({ length: 31 }, (_, n) => admission.admit({ ip, idempotency: { clientKey: `k-${n}`, planned: planned(ip, n) } })),
      );
      expect(verdicts.map((verdict) => verdict.rate?.allowed)).toEqual([...Array(30).fill(true), false]);
      expect(verdicts.map((verdict) => verdict.rate?.remaining).slice(0, 3)).toEqual([29, 28, 27]);
      expect(verdicts[30]).toEqual({ rate: expect.objectContaining({ allowed: false, remaining: 0 }) });
      // The refused message claimed nothing.
      const idempotency = new IdempotencyKeys(target.redis, keys);
      expect(await target.redis.exists(idempotency.keyOf(ip, 'k-30'))).toBe(0);
      expect(await target.redis.exists(idempotency.keyOf(ip, 'k-29'))).toBe(1);
    });

    it('sees a key claimed earlier in the same call as claimed: one message, planned by the first', async () => {
      const { admission, idempotency } = admissionOn(target, 0);
      const ip = '203.0.113.9';
      const [first, second] = await Promise.all([
        admission.admit({ ip, idempotency: { clientKey: 'same', planned: planned(ip, 1) } }),
        admission.admit({ ip, idempotency: { clientKey: 'same', planned: planned(ip, 2) } }),
        admission.admit({ ip, idempotency: { clientKey: 'same', planned: planned(ip, 3) } }),
      ]);
      expect(first).toEqual({ claim: { kind: 'new', key: expect.any(String), accepted: planned(ip, 1) } });
      expect(second?.claim).toMatchObject({ kind: 'unconfirmed', accepted: { id: planned(ip, 1).id } });
      await idempotency.confirm(first!.claim!, first!.claim!.accepted);
      const later = await admission.admit({ ip, idempotency: { clientKey: 'same', planned: planned(ip, 4) } });
      expect(later.claim).toMatchObject({ kind: 'repeat', accepted: { id: planned(ip, 1).id } });
    });

    it('limits an IPv6 /64 as one sender, and claims a refused message’s key nowhere', async () => {
      const { admission, idempotency } = admissionOn(target, 2);
      const ips = ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2::3'];
      const verdicts = await Promise.all(ips.map((ip, n) => admission.admit({ ip, idempotency: { clientKey: 'v6', planned: planned(ip, n) } })));
      expect(verdicts.map((verdict) => verdict.rate?.allowed)).toEqual([true, true, false]);
      expect(verdicts.map((verdict) => verdict.claim?.kind)).toEqual(['new', 'new', undefined]);
      expect(await target.redis.exists(idempotency.keyOf(ips[2]!, 'v6'))).toBe(0);
      expect(await target.redis.exists(idempotency.keyOf(ips[0]!, 'v6'))).toBe(1);
    });

    it('makes no round trip with neither a limit nor a key', async () => {
      const { admission } = admissionOn(target, 0);
      await resetStats(target.servers);
      await expect(admission.admit({ ip: '192.0.2.50' })).resolves.toEqual({});
      expect(await scriptCalls(target.servers)).toBe(0);
    });
  });
}

async function connect(url: string, nodes?: string): Promise<RedisClient> {
  const config = loadConfig({ REDIS_URL: url, ...(nodes ? { REDIS_CLUSTER_NODES: nodes } : {}) });
  const client = createRedis(config.redis, 'producer', 'admission-test');
  await waitFor('the client to be ready', () => client.status === 'ready');
  return client;
}

describeOn('a single Redis', async () => {
  const server = await RedisServer.start();
  const redis = await connect(server.url);
  return { redis, servers: [server], close: async () => (redis.disconnect(), await server.stop()) };
});

describeOn('a 3-master cluster', async () => {
  const cluster: TestCluster = await startCluster({ masters: 3 });
  const redis = await connect(cluster.url, cluster.nodes);
  return { redis, servers: cluster.servers, close: async () => (redis.disconnect(), await cluster.stop()) };
});
