import type { RedisServer } from '@msgpipe/redis-server';
import { startOneNodeCluster, testRedisUrl, uniquePrefix } from '@msgpipe/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExchangeRecorder } from './exchange-recorder.js';
import { HistoryStore, type HistoryEntry, type HistoryPolicy } from './history.js';
import { KeySchema } from './keys.js';
import { createRedis, type RedisClient } from './redis.js';
import { Retention } from './retention.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});

/** A store and its writer with a REDIS_PREFIX of their own, so no two tests (or files) share a key. */
function freshStore(policy: Partial<HistoryPolicy> = {}): { store: HistoryStore; recorder: ExchangeRecorder; keys: KeySchema } {
  const keys = new KeySchema(uniquePrefix('history'));
  const recorder = new ExchangeRecorder(redis, keys, { history: { maxEntries: 100, ttlSeconds: 3600, ...policy }, onlineWindowSeconds: 300 });
  return { store: new HistoryStore(redis, keys), recorder, keys };
}

let counter = 0;
function entry(overrides: Partial<HistoryEntry> = {}): HistoryEntry {
  counter++;
  return {
    id: `msg-${counter}-${Math.random().toString(36).slice(2)}`,
    message: `hello ${counter}`,
    sendTime: '2030-01-02T03:04:05.006Z',
    status: 'completed',
    response: `reply ${counter}`,
    respondedAt: '2030-01-02T03:04:05.106Z',
    ...overrides,
  };
}

const IP = '198.51.100.7';

describe('ExchangeRecorder.record: the history part', () => {
  it('writes an entry and reads it back unchanged', async () => {
    const { store, recorder } = freshStore();
    const first = entry({ message: 'ünïcødé ✓ "quoted" \\ back\nslash' });
    expect(await recorder.record(IP, first)).toBe(true);
    expect(await store.list(IP, 10)).toEqual([first]);
  });

  it('writes a message id once: a second record is a no-op that returns false', async () => {
    const { store, recorder, keys } = freshStore();
    const original = entry();
    expect(await recorder.record(IP, original, 1_000)).toBe(true);
    const retried = { ...original, response: 'a different response from the retry' };
    expect(await recorder.record(IP, retried, 2_000)).toBe(false);
    expect(await recorder.record(IP, original, 3_000)).toBe(false);
    expect(await redis.llen(keys.history(IP))).toBe(1);
    expect(await store.list(IP, 10)).toEqual([original]);
    // Nothing changes at all, not even the remembered write time.
    expect(await redis.zscore(keys.written(IP), original.id)).toBe('1000');
  });

  it('writes exactly once when the same job is recorded concurrently', async () => {
    const { store, recorder, keys } = freshStore();
    const duplicated = entry();
    const results = await Promise.all(Array.from({ length: 10 }, () => recorder.record(IP, duplicated)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await redis.llen(keys.history(IP))).toBe(1);
  });

  it('records a failed message with its error', async () => {
    const { store, recorder } = freshStore();
    const failed = entry({ status: 'failed', response: undefined, error: 'responder timed out' });
    delete failed.response;
    await recorder.record(IP, failed);
    expect(await store.find(IP, failed.id)).toEqual(failed);
  });

  it('lists newest first', async () => {
    const { store, recorder } = freshStore();
    const entries = [entry(), entry(), entry()];
    for (const [index, item] of entries.entries()) await recorder.record(IP, item, 1_000 + index);
    expect((await store.list(IP, 10)).map((item) => item.id)).toEqual(entries.map((item) => item.id).reverse());
  });

  it('lists at most `limit` entries, the newest ones', async () => {
    const { store, recorder } = freshStore();
    const entries = [entry(), entry(), entry(), entry()];
    for (const item of entries) await recorder.record(IP, item);
    expect((await store.list(IP, 2)).map((item) => item.id)).toEqual([entries[3]!.id, entries[2]!.id]);
    expect(await store.list(IP, 1)).toHaveLength(1);
  });

  it('keeps only the newest maxEntries entries', async () => {
    const { store, recorder, keys } = freshStore({ maxEntries: 3 });
    const entries = Array.from({ length: 7 }, () => entry());
    for (const item of entries) await recorder.record(IP, item);
    expect(await redis.llen(keys.history(IP))).toBe(3);
    expect((await store.list(IP, 100)).map((item) => item.id)).toEqual(
      entries.slice(-3).map((item) => item.id).reverse(),
    );
  });

  it('sets the history\'s TTL to ttlSeconds, and the written-id guard\'s to Retention.writtenIdsSeconds when that is longer', async () => {
    const { recorder, keys } = freshStore({ ttlSeconds: 3600 });
    await recorder.record(IP, entry());
    const within = async (key: string, seconds: number) => {
      const pttl = await redis.pttl(key);
      expect(pttl, key).toBeGreaterThan(seconds * 1000 - 5000);
      expect(pttl, key).toBeLessThanOrEqual(seconds * 1000);
    };
    await within(keys.history(IP), 3600);
    // Past the 7 days BullMQ keeps a failed job, which the dashboard can retry.
    expect(Retention.writtenIdsSeconds).toBeGreaterThan(Retention.failedJobSeconds);
    await within(keys.written(IP), Retention.writtenIdsSeconds);

    const longer = freshStore({ ttlSeconds: Retention.writtenIdsSeconds + 3600 });
    await longer.recorder.record(IP, entry());
    await within(longer.keys.written(IP), Retention.writtenIdsSeconds + 3600);
  });

  it('refreshes both TTLs on every new message (the history expires after the last message)', async () => {
    const { recorder, keys } = freshStore({ ttlSeconds: 7200 });
    await recorder.record(IP, entry());
    await redis.expire(keys.history(IP), 10);
    await redis.expire(keys.written(IP), 10);
    await recorder.record(IP, entry());
    expect(await redis.ttl(keys.history(IP))).toBeGreaterThan(7190);
    expect(await redis.ttl(keys.written(IP))).toBeGreaterThan(Retention.writtenIdsSeconds - 10);
  });

  it('keeps one IP\'s history apart from another\'s', async () => {
    const { store, recorder } = freshStore();
    const mine = entry();
    const theirs = entry();
    await recorder.record('192.0.2.1', mine);
    await recorder.record('2001:db8::1', theirs);
    expect(await store.list('192.0.2.1', 10)).toEqual([mine]);
    expect(await store.list('2001:db8::1', 10)).toEqual([theirs]);
    expect(await store.find('192.0.2.1', theirs.id)).toBeUndefined();
  });

  it('stores an IPv6 history under a key with the address written with "-"', async () => {
    const { store, recorder, keys } = freshStore();
    await recorder.record('2001:db8::42', entry());
    const found = await redis.keys(`${keys.prefix}:*2001-db8--42*`);
    expect(found.sort()).toEqual([keys.history('2001:db8::42'), keys.written('2001:db8::42')].sort());
  });

  it('still rejects an id that was trimmed out of the list (the written-id guard outlives trimming)', async () => {
    const { store, recorder, keys } = freshStore({ maxEntries: 2 });
    const oldest = entry();
    await recorder.record(IP, oldest);
    await recorder.record(IP, entry());
    await recorder.record(IP, entry());
    expect(await store.find(IP, oldest.id)).toBeUndefined();

    expect(await recorder.record(IP, oldest)).toBe(false);
    expect(await store.find(IP, oldest.id)).toBeUndefined();
    expect(await redis.llen(keys.history(IP))).toBe(2);
  });

  it('remembers at most Retention.writtenIdsPerIp ids per IP, dropping the oldest', async () => {
    const { store, recorder, keys } = freshStore({ maxEntries: 5 });
    const limit = Retention.writtenIdsPerIp;
    const entries = Array.from({ length: limit + 1 }, () => entry());
    // Increasing write times make "oldest" well defined; sent concurrently, they are pipelined.
    await Promise.all(entries.map((item, index) => recorder.record(IP, item, 1_000_000 + index)));
    expect(await redis.zcard(keys.written(IP))).toBe(limit);
    expect(await redis.zscore(keys.written(IP), entries[0]!.id)).toBeNull();
    expect(await redis.zscore(keys.written(IP), entries[1]!.id)).not.toBeNull();
    expect(await recorder.record(IP, entries[1]!)).toBe(false);
  });

  it('finds a failed entry to replace however deep in the history it is', async () => {
    const { store, recorder } = freshStore({ maxEntries: 200 });
    const failed = entry({ status: 'failed', response: undefined, error: 'refused' });
    await recorder.record(IP, failed);
    const newer = Array.from({ length: 120 }, () => entry());
    await recorder.recordMany(newer.map((item) => ({ ip: IP, entry: item })));

    const answer = entry({ id: failed.id, message: failed.message, response: 'answered on a retry' });
    expect(await recorder.record(IP, answer)).toBe(true);
    const history = await store.list(IP, 200);
    expect(history).toHaveLength(121);
    expect(history[0]).toEqual(answer);
    expect(history.filter((item) => item.id === failed.id)).toEqual([answer]);
  });

  it('still works after Redis forgot its cached scripts (NOSCRIPT fallback to EVAL)', async () => {
    const { store, recorder } = freshStore();
    await recorder.record(IP, entry());
    await redis.script('FLUSH');
    const after = entry();
    expect(await recorder.record(IP, after)).toBe(true);
    expect(await recorder.record(IP, after)).toBe(false);
    expect(await store.find(IP, after.id)).toEqual(after);
  });
});

describe('HistoryStore.find', () => {
  it('finds an entry by id anywhere in the list', async () => {
    const { store, recorder } = freshStore();
    const entries = [entry(), entry(), entry()];
    for (const item of entries) await recorder.record(IP, item);
    for (const item of entries) expect(await store.find(IP, item.id)).toEqual(item);
  });

  it('returns undefined for an unknown id, for a prefix of a real id and for an empty history', async () => {
    const { store, recorder } = freshStore();
    const stored = entry({ id: 'abcdef123456' });
    expect(await store.find(IP, 'abcdef123456')).toBeUndefined();
    await recorder.record(IP, stored);
    expect(await store.find(IP, 'nope')).toBeUndefined();
    expect(await store.find(IP, 'abcdef')).toBeUndefined();
    expect(await store.find(IP, 'abcdef1234567')).toBeUndefined();
  });

  it('is not fooled by a message whose text contains "id":"<that id>" literally', async () => {
    const { store, recorder } = freshStore();
    const target = entry({ id: 'target-id-1' });
    const decoy = entry({
      id: 'decoy-id-2',
      message: '{"id":"target-id-1"} and "id":"target-id-1" and \\"id\\":\\"target-id-1\\"',
      response: '"id":"target-id-1"',
    });
    await recorder.record(IP, target);
    await recorder.record(IP, decoy); // newer, so it is scanned first
    expect(await store.find(IP, 'target-id-1')).toEqual(target);
    expect(await store.find(IP, 'decoy-id-2')).toEqual(decoy);
  });

  it('does not invent an entry for an id that only appears inside message text', async () => {
    const { store, recorder } = freshStore();
    await recorder.record(IP, entry({ message: 'see "id":"ghost-id" here', error: '"id":"ghost-id"' }));
    expect(await store.find(IP, 'ghost-id')).toBeUndefined();
  });
});

describe('HistoryStore.erase', () => {
  it('removes the history of that IP only', async () => {
    const { store, recorder, keys } = freshStore();
    await recorder.record(IP, entry());
    const other = entry();
    await recorder.record('192.0.2.99', other);
    expect(await redis.exists(keys.history(IP), keys.written(IP))).toBe(2);

    await store.erase(IP);
    expect(await redis.exists(keys.history(IP))).toBe(0);
    expect(await store.list(IP, 10)).toEqual([]);
    expect(await store.list('192.0.2.99', 10)).toEqual([other]);
  });

  it('keeps the written ids, so a later run of a job writes the erased message nowhere again', async () => {
    const { store, recorder, keys } = freshStore();
    const erased = entry();
    await recorder.record(IP, erased);
    await store.erase(IP);

    expect(await recorder.record(IP, erased)).toBe(false);
    expect(await store.list(IP, 10)).toEqual([]);
    expect(await redis.zrange(keys.written(IP), 0, -1)).toEqual([erased.id]);
    // A message sent after the erasure is written as usual.
    const later = entry();
    expect(await recorder.record(IP, later)).toBe(true);
    expect(await store.list(IP, 10)).toEqual([later]);
  });

  it('erases an IP with no history without complaint', async () => {
    const { store, recorder } = freshStore();
    await expect(store.erase('203.0.113.1')).resolves.toBeUndefined();
  });
});

describe('HistoryStore on Redis Cluster', () => {
  let node: RedisServer;
  let cluster: RedisClient;
  beforeAll(async () => {
    node = await startOneNodeCluster();
    cluster = createRedis({ url: node.url, clusterNodes: [{ host: '127.0.0.1', port: node.port }], prefix: 'x' }, 'worker');
  });
  afterAll(async () => {
    cluster?.disconnect();
    await node?.stop();
  });

  it('refuses keys of different slots in one command (so the tests below mean something)', async () => {
    const keys = new KeySchema(uniquePrefix('cluster'));
    await expect(cluster.del(keys.history('192.0.2.1'), keys.history('192.0.2.2'))).rejects.toThrow(/CROSSSLOT/);
  });

  it.each(['192.0.2.10', '2001:db8::10'])('records, finds, deduplicates and erases %s in one slot', async (ip) => {
    const keys = new KeySchema(uniquePrefix('cluster'));
    const store = new HistoryStore(cluster, keys);
    const recorder = new ExchangeRecorder(cluster, keys, { history: { maxEntries: 2, ttlSeconds: 3600 }, onlineWindowSeconds: 300 });
    const first = entry();
    expect(await recorder.record(ip, first)).toBe(true);
    expect(await recorder.record(ip, first)).toBe(false);
    await recorder.record(ip, entry());
    await recorder.record(ip, entry());
    expect(await store.list(ip, 10)).toHaveLength(2);
    expect(await recorder.record(ip, first)).toBe(false);
    await store.erase(ip);
    expect(await cluster.exists(keys.history(ip))).toBe(0);
    expect(await recorder.record(ip, first)).toBe(false);
    expect(await store.list(ip, 10)).toEqual([]);
  });
});

describe('HistoryStore.since: what a stream that saw a message last has missed', () => {
  it('is the entries written after it, newest first; nothing after the newest', async () => {
    const { store, recorder } = freshStore();
    const [a, b, c] = [entry(), entry(), entry()];
    for (const each of [a, b, c]) await recorder.record(IP, each);
    expect(await store.since(IP, a.id, 100)).toEqual([c, b]);
    expect(await store.since(IP, c.id, 100)).toEqual([]);
  });

  it('is undefined for an id the IP never had written', async () => {
    const { store, recorder } = freshStore();
    await recorder.record(IP, entry());
    const elsewhere = entry();
    await recorder.record('198.51.100.8', elsewhere);
    expect(await store.since(IP, elsewhere.id, 100)).toBeUndefined();
    expect(await store.since(IP, 'never-written', 100)).toBeUndefined();
  });

  it('is the whole history (up to the limit) for an id trimmed out of it', async () => {
    const { store, recorder } = freshStore({ maxEntries: 2 });
    const [a, b, c] = [entry(), entry(), entry()];
    for (const each of [a, b, c]) await recorder.record(IP, each);
    expect(await store.since(IP, a.id, 2)).toEqual([c, b]);
  });

  it('follows the history’s order when the write times disagree with it (workers’ clocks)', async () => {
    const { store, recorder } = freshStore();
    const [a, b, c] = [entry(), entry(), entry()];
    await recorder.record(IP, a, 3_000);
    await recorder.record(IP, b, 1_000);
    await recorder.record(IP, c, 2_000);
    expect(await store.since(IP, a.id, 100)).toEqual([c, b]);
    expect(await store.since(IP, b.id, 100)).toEqual([c]);
  });
});
