import { RedisServer } from '@msgpipe/redis-server';
import { startOneNodeCluster, uniquePrefix, waitFor } from '@msgpipe/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExchangeRecorder, type ExchangeToRecord } from './exchange-recorder.js';
import { groupBySlot, hashSlotOf } from './hash-slot.js';
import { HistoryStore, type HistoryEntry } from './history.js';
import { KeySchema } from './keys.js';
import { createRedis, type RedisClient } from './redis.js';
import { StatsStore } from './stats.js';

// From the real clock: the recorder expires a message's counters a fixed time after it was sent.
const NOW = Date.now();

// Servers of this file's own, so INFO commandstats counts this file's calls only.
interface TestServer {
  node: RedisServer;
  /** The recorder's connection (a Cluster client on the cluster). */
  redis: RedisClient;
  /** A plain connection to the node, for INFO and CONFIG. */
  admin: Redis;
}
const servers = new Map<'standalone' | 'cluster', TestServer>();
const serverOf = (mode: 'standalone' | 'cluster') => servers.get(mode)!;
beforeAll(async () => {
  const [standalone, cluster] = await Promise.all([RedisServer.start(), startOneNodeCluster()]);
  servers.set('standalone', {
    node: standalone,
    redis: createRedis({ url: standalone.url, clusterNodes: undefined, prefix: 'x' }, 'worker'),
    admin: new Redis(standalone.url),
  });
  servers.set('cluster', {
    node: cluster,
    redis: createRedis({ url: cluster.url, clusterNodes: [{ host: '127.0.0.1', port: cluster.port }], prefix: 'x' }, 'worker'),
    admin: new Redis(cluster.url),
  });
});
afterAll(async () => {
  for (const { node, redis, admin } of servers.values()) {
    redis.disconnect();
    admin.disconnect();
    await node.stop();
  }
});

let counter = 0;
function entry(): HistoryEntry {
  counter++;
  return {
    id: `msg-${counter}-${Math.random().toString(36).slice(2)}`,
    message: `hello ${counter}`,
    sendTime: new Date(NOW - 1000).toISOString(),
    status: 'completed',
    response: `reply ${counter}`,
    respondedAt: new Date(NOW - 995).toISOString(),
  };
}

/** The first two of 10.0.x.y whose keys hash to the same slot: one step-1 call on a cluster writes both. */
function twoIpsInOneSlot(): [string, string] {
  const ipOfSlot = new Map<number, string>();
  for (let n = 0; ; n++) {
    const ip = `10.0.${n >> 8}.${n & 255}`;
    const slot = hashSlotOf(new KeySchema('any').history(ip));
    const other = ipOfSlot.get(slot);
    if (other !== undefined) return [other, ip];
    ipOfSlot.set(slot, ip);
  }
}

/** Calls per command since the last CONFIG RESETSTAT, e.g. { evalsha: 3, srem: 2 }. */
async function commandCalls(admin: Redis): Promise<Record<string, number>> {
  const stats = await admin.info('commandstats');
  return Object.fromEntries([...stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map(([, name, calls]) => [name!, Number(calls)]));
}

describe.each(['standalone', 'cluster'] as const)('ExchangeRecorder.recordMany on %s Redis', (mode) => {
  function fresh() {
    const { redis, admin } = serverOf(mode);
    const keys = new KeySchema(uniquePrefix('record-many'));
    const recorder = new ExchangeRecorder(redis, keys, { history: { maxEntries: 100, ttlSeconds: 3600 }, onlineWindowSeconds: 300 });
    return { redis, admin, keys, recorder, history: new HistoryStore(redis, keys), stats: new StatsStore(redis, keys, { onlineWindowSeconds: 300 }) };
  }

  /** `perIp` new messages from each IP, interleaved: IP by IP, round after round. */
  function messagesFrom(ips: readonly string[], perIp: number): ExchangeToRecord[] {
    return Array.from({ length: perIp }, () => ips.map((ip) => ({ ip, entry: entry() }))).flat();
  }

  it('writes and counts 100 messages of 25 IPs in one call, with the fewest script calls', async () => {
    const { redis, admin, keys, recorder, history, stats } = fresh();
    const ips = [...twoIpsInOneSlot(), '2001:db8::7', ...Array.from({ length: 22 }, (_, n) => `192.0.2.${n + 1}`)];
    const items = messagesFrom(ips, 4);
    await recorder.record('198.51.100.1', entry(), NOW); // the scripts are cached: no NOSCRIPT retry below
    await admin.config('RESETSTAT');

    expect(await recorder.recordMany(items, NOW)).toEqual(items.map(() => true));

    const calls = await commandCalls(admin);
    const slots = groupBySlot(ips, (ip) => keys.history(ip)).length;
    // Standalone: one script. Cluster: one per slot (24 for 25 IPs), one count, one SREM per IP, one ZREM.
    expect(calls.evalsha).toBe(mode === 'standalone' ? 1 : slots + 1);
    expect(calls.eval).toBeUndefined();
    expect(calls.srem).toBe(mode === 'standalone' ? undefined : ips.length);
    expect(calls.zrem).toBe(mode === 'standalone' ? undefined : 1);
    expect(slots).toBe(ips.length - 1);
    // Each key once per call, however many messages it counts: the totals once, each IP's
    // history and leaderboard places once, the day's unique IPs once.
    expect(calls).toMatchObject({ incrby: 3, lpush: ips.length, zincrby: 2 * ips.length, pfadd: 1 });

    for (const ip of ips) {
      const mine = items.filter((item) => item.ip === ip).map((item) => item.entry);
      expect(await history.list(ip, 100)).toEqual(mine.reverse());
    }
    const snapshot = await stats.read(100, NOW);
    expect(snapshot).toMatchObject({ totalMessages: 101, messagesToday: 101, uniqueIpsToday: 26, onlineNow: 26 });
    expect(snapshot.topSenders.filter((sender) => sender.count === 4).map((sender) => sender.ip).sort()).toEqual([...ips].sort());
    for (const ip of ips) expect(await redis.exists(keys.uncounted(ip))).toBe(0);
    expect(await redis.exists(keys.counting())).toBe(0);
  });

  it('writes an id repeated in the same call once, from its first item, and counts it once', async () => {
    const { recorder, history, stats } = fresh();
    const [first, second] = [entry(), entry()];
    const items = [
      { ip: '192.0.2.40', entry: first },
      { ip: '192.0.2.41', entry: second },
      { ip: '192.0.2.40', entry: { ...first, response: 'from a second run' } },
      { ip: '192.0.2.41', entry: second },
    ];
    expect(await recorder.recordMany(items, NOW)).toEqual([true, true, false, false]);
    expect(await history.list('192.0.2.40', 10)).toEqual([first]);
    expect(await history.list('192.0.2.41', 10)).toEqual([second]);
    expect(await stats.read(10, NOW)).toMatchObject({ totalMessages: 2, topSenders: [{ count: 1 }, { count: 1 }] });
  });

  it('changes nothing when the same messages come again in a later call, and writes the new ones among them', async () => {
    const { recorder, history, stats } = fresh();
    const ips = ['192.0.2.50', '192.0.2.51', '2001:db8::50'];
    const earlier = messagesFrom(ips, 3);
    await recorder.recordMany(earlier, NOW);
    const before = await stats.read(10, NOW);
    const later = messagesFrom(ips, 1);

    expect(await recorder.recordMany([...earlier, ...later], NOW + 1000)).toEqual([...earlier.map(() => false), ...later.map(() => true)]);
    expect(await recorder.recordMany([...later, ...earlier], NOW + 2000)).toEqual([...later, ...earlier].map(() => false));
    const after = await stats.read(10, NOW);
    expect(after.totalMessages).toBe(before.totalMessages + ips.length);
    expect(after.topSenders.map((sender) => sender.count)).toEqual([4, 4, 4]);
    for (const ip of ips) expect(await history.list(ip, 10)).toHaveLength(4);
  });

  it('replaces a failed entry with the answer of a retry, once: published, not counted again, never the reverse', async () => {
    const { redis, keys, recorder, history, stats } = fresh();
    const ip = '192.0.2.70';
    const failed: HistoryEntry = { ...entry(), status: 'failed', response: undefined, error: 'webhook answered HTTP 400' };
    delete failed.response;
    const later = entry();
    expect(await recorder.recordMany([{ ip, entry: failed }, { ip, entry: later }], NOW)).toEqual([true, true]);
    const subscriber = redis.duplicate() as RedisClient;
    const published: HistoryEntry[] = [];
    subscriber.on('message', (_channel: string, payload: string) => published.push(JSON.parse(payload) as HistoryEntry));
    try {
      await subscriber.subscribe(keys.completions(ip));
      const answer: HistoryEntry = { ...entry(), id: failed.id, message: failed.message, response: 'answered on the retry' };

      // With a new message of another IP in the same call: that one is counted, the answer is not.
      const other = { ip: '192.0.2.71', entry: entry() };
      expect(await recorder.recordMany([{ ip, entry: answer }, other], NOW + 1000)).toEqual([true, true]);
      // The answer takes the failed entry's place at the top; the history holds the message once.
      expect(await history.list(ip, 10)).toEqual([answer, later]);
      expect(await redis.zscore(keys.failedIds(ip), failed.id)).toBeNull();
      const snapshot = await stats.read(10, NOW);
      expect(snapshot.totalMessages).toBe(3);
      expect(snapshot.topSenders).toEqual(expect.arrayContaining([{ ip, count: 2 }, { ip: '192.0.2.71', count: 1 }]));

      // Once only, and never back: a second answer and a failure again change nothing.
      expect(await recorder.record(ip, { ...answer, response: 'a second retry' }, NOW + 2000)).toBe(false);
      expect(await recorder.record(ip, failed, NOW + 3000)).toBe(false);
      expect(await history.list(ip, 10)).toEqual([answer, later]);
      expect((await stats.read(10, NOW)).totalMessages).toBe(3);

      await waitFor('the answer published', () => published.some((item) => item.id === failed.id));
      await recorder.record(ip, entry(), NOW + 4000); // a marker: everything before it has arrived too
      await waitFor('the marker published', () => published.length >= 2);
      expect(published.filter((item) => item.id === failed.id)).toEqual([answer]);
    } finally {
      subscriber.disconnect();
    }
  });

  it('keeps a failure of a message answered before out, and a failure recorded twice once', async () => {
    const { recorder, history } = fresh();
    const ip = '192.0.2.72';
    const answered = entry();
    const failure: HistoryEntry = { id: answered.id, message: answered.message, sendTime: answered.sendTime, status: 'failed', error: 'too late', respondedAt: answered.respondedAt };
    expect(await recorder.record(ip, answered, NOW)).toBe(true);
    expect(await recorder.record(ip, failure, NOW)).toBe(false);
    const failedTwice: HistoryEntry = { ...failure, id: entry().id };
    expect(await recorder.recordMany([{ ip, entry: failedTwice }, { ip, entry: failedTwice }], NOW)).toEqual([true, false]);
    expect(await recorder.record(ip, failedTwice, NOW)).toBe(false);
    expect(await history.list(ip, 10)).toEqual([failedTwice, answered]);
  });

  it('writes no answer back for a failed message whose entry was erased, and counts nothing', async () => {
    const { recorder, history, stats } = fresh();
    const ip = '192.0.2.73';
    const failed: HistoryEntry = { id: entry().id, message: 'doomed', sendTime: new Date(NOW - 1000).toISOString(), status: 'failed', error: 'no', respondedAt: new Date(NOW).toISOString() };
    await recorder.record(ip, failed, NOW);
    await history.erase(ip);

    expect(await recorder.record(ip, { ...failed, status: 'completed', response: 'yes after all', error: undefined }, NOW + 1000)).toBe(false);
    expect(await history.list(ip, 10)).toEqual([]);
    expect((await stats.read(10, NOW)).totalMessages).toBe(1);
  });

  it('answers an empty call without a script call', async () => {
    const { admin, recorder } = fresh();
    await admin.config('RESETSTAT');
    expect(await recorder.recordMany([], NOW)).toEqual([]);
    expect((await commandCalls(admin)).evalsha).toBeUndefined();
  });
});

describe('recordMany on Redis Cluster after a worker died between the steps', () => {
  // One call retries four messages, each left by a crash in another state (set up by hand, as
  // the record() tests do): every one ends counted exactly once.
  it('completes every message of the retry without counting any twice', async () => {
    const { redis: cluster } = serverOf('cluster');
    const keys = new KeySchema(uniquePrefix('crash-many'));
    const recorder = new ExchangeRecorder(cluster, keys, { history: { maxEntries: 100, ttlSeconds: 3600 }, onlineWindowSeconds: 300 });
    const stats = new StatsStore(cluster, keys, { onlineWindowSeconds: 300 });
    const [afterStep1, afterStep2, afterStep3, neverRecorded] = ['192.0.2.61', '192.0.2.62', '192.0.2.63', '192.0.2.64'].map((ip) => ({ ip, entry: entry() }));

    // Step 1 done: written and marked uncounted, not counted.
    await cluster.zadd(keys.written(afterStep1!.ip), NOW, afterStep1!.entry.id);
    await cluster.lpush(keys.history(afterStep1!.ip), JSON.stringify(afterStep1!.entry));
    await cluster.sadd(keys.uncounted(afterStep1!.ip), afterStep1!.entry.id);
    // Step 2 done: counted, both marks still set.   Step 3 done: only the counting mark left.
    expect(await recorder.recordMany([afterStep2!, afterStep3!], NOW)).toEqual([true, true]);
    await cluster.sadd(keys.uncounted(afterStep2!.ip), afterStep2!.entry.id);
    await cluster.zadd(keys.counting(), NOW, afterStep2!.entry.id, NOW, afterStep3!.entry.id);
    expect((await stats.read(10, NOW)).totalMessages).toBe(2);

    // A batch run again looks these up: only step 3's message is recorded in full.
    const isRecorded = (items: typeof retry) => Promise.all(items.map(({ ip, entry: { id } }) => recorder.isRecorded(ip, id)));
    const retry = [afterStep1!, afterStep2!, afterStep3!, neverRecorded!, afterStep1!];
    expect(await isRecorded(retry)).toEqual([false, false, true, false, false]);
    expect(await recorder.recordMany(retry, NOW)).toEqual([false, false, false, true, false]);
    expect(await isRecorded(retry)).toEqual([true, true, true, true, true]);

    const snapshot = await stats.read(10, NOW);
    expect(snapshot.totalMessages).toBe(4);
    expect(snapshot.topSenders.map((sender) => sender.count)).toEqual([1, 1, 1, 1]);
    for (const { ip } of retry) expect(await cluster.exists(keys.uncounted(ip))).toBe(0);
    // Only step 3's leftover is still in the counting set (it ages out, see stats.test.ts).
    expect(await cluster.zrange(keys.counting(), 0, -1)).toEqual([afterStep3!.entry.id]);
    for (const { ip, entry: recorded } of retry) expect(await new HistoryStore(cluster, keys).list(ip, 10)).toEqual([recorded]);
  });
});
