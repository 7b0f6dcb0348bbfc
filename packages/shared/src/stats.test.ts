import type { RedisServer } from '@msgpipe/redis-server';
import { startOneNodeCluster, testRedisUrl, uniquePrefix, waitFor } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExchangeRecorder, type RecorderPolicy } from './exchange-recorder.js';
import type { HistoryEntry } from './history.js';
import { HistoryStore } from './history.js';
import { KeySchema } from './keys.js';
import { createRedis, type RedisClient } from './redis.js';
import { StatsStore } from './stats.js';
import { Retention } from './retention.js';
import { utcDay, utcMinute } from './stats-time.js';

// The recorder sets absolute expiries from the send time, so every time here is derived from
// the real clock: a fixed date would be expired in Redis a few weeks later.
const NOW = Date.now();
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

let standalone: RedisClient;
let clusterNode: RedisServer;
let cluster: RedisClient;
beforeAll(async () => {
  standalone = createRedis({ url: testRedisUrl(), clusterNodes: undefined, prefix: 'x' }, 'worker');
  clusterNode = await startOneNodeCluster();
  cluster = createRedis({ url: clusterNode.url, clusterNodes: [{ host: '127.0.0.1', port: clusterNode.port }], prefix: 'x' }, 'worker');
});
afterAll(async () => {
  standalone?.disconnect();
  cluster?.disconnect();
  await clusterNode?.stop();
});

let counter = 0;
function entry(sentAt = NOW - 1000): HistoryEntry {
  counter++;
  return {
    id: `msg-${counter}-${Math.random().toString(36).slice(2)}`,
    message: `hello ${counter}`,
    sendTime: new Date(sentAt).toISOString(),
    status: 'completed',
    response: `reply ${counter}`,
    respondedAt: new Date(sentAt + 5).toISOString(),
  };
}

describe.each(['standalone', 'cluster'] as const)('counters and leaderboards on %s Redis', (mode) => {
  function fresh(policy: Partial<RecorderPolicy> = {}) {
    const redis = mode === 'standalone' ? standalone : cluster;
    const keys = new KeySchema(uniquePrefix('stats'));
    const recorder = new ExchangeRecorder(redis, keys, {
      history: { maxEntries: 100, ttlSeconds: 3600 },
      onlineWindowSeconds: 300,
      ...policy,
    });
    const stats = new StatsStore(redis, keys, { onlineWindowSeconds: policy.onlineWindowSeconds ?? 300 });
    /** Records `count` new messages from `ip`, sent at `sentAt`. */
    const send = async (ip: string, count: number, sentAt = NOW - 1000) => {
      for (let n = 0; n < count; n++) await recorder.record(ip, entry(sentAt), NOW);
    };
    return { redis, keys, recorder, stats, send };
  }

  it('counts every recorded message: totals, unique IPs, online, both leaderboards sorted', async () => {
    const { stats, send } = fresh();
    await send('192.0.2.2', 2);
    await send('192.0.2.3', 3);
    await send('2001:db8::1', 1);
    const snapshot = await stats.read(10, NOW);
    expect(snapshot).toEqual({
      totalMessages: 6,
      messagesToday: 6,
      uniqueIpsToday: 3,
      onlineNow: 3,
      topSenders: [
        { ip: '192.0.2.3', count: 3 },
        { ip: '192.0.2.2', count: 2 },
        { ip: '2001:db8::1', count: 1 },
      ],
      topSendersToday: [
        { ip: '192.0.2.3', count: 3 },
        { ip: '192.0.2.2', count: 2 },
        { ip: '2001:db8::1', count: 1 },
      ],
    });
    expect((await stats.read(2, NOW)).topSenders.map((sender) => sender.ip)).toEqual(['192.0.2.3', '192.0.2.2']);
  });

  it('counts a retried, redelivered or concurrently repeated message once', async () => {
    const { recorder, stats } = fresh();
    const message = entry();
    expect(await recorder.record('192.0.2.9', message, NOW)).toBe(true);
    expect(await recorder.record('192.0.2.9', { ...message, response: 'from a retry' }, NOW + 5000)).toBe(false);
    // Concurrent repeats of a finished write: every one sees it written and counted.
    const repeats = await Promise.all(Array.from({ length: 10 }, () => recorder.record('192.0.2.9', message, NOW)));
    expect(repeats.filter(Boolean)).toHaveLength(0);
    const snapshot = await stats.read(10, NOW);
    expect(snapshot.totalMessages).toBe(1);
    expect(snapshot.topSenders).toEqual([{ ip: '192.0.2.9', count: 1 }]);
  });

  it('counts a message by the day it was sent: yesterday is in the totals but not in today', async () => {
    const { stats, send } = fresh();
    await send('192.0.2.4', 2, NOW - DAY);
    await send('192.0.2.5', 1);
    const snapshot = await stats.read(10, NOW);
    expect(snapshot.totalMessages).toBe(3);
    expect(snapshot.messagesToday).toBe(1);
    expect(snapshot.uniqueIpsToday).toBe(1);
    expect(snapshot.topSenders).toEqual([
      { ip: '192.0.2.4', count: 2 },
      { ip: '192.0.2.5', count: 1 },
    ]);
    expect(snapshot.topSendersToday).toEqual([{ ip: '192.0.2.5', count: 1 }]);
  });

  it('counts as online only IPs seen within the window, and prunes the others as it reads', async () => {
    const { keys, redis, stats, send } = fresh({ onlineWindowSeconds: 300 });
    await send('192.0.2.6', 1, NOW - 301_000);
    await send('192.0.2.7', 1, NOW - 299_000);
    // A late retry of an older message never moves an IP's last-seen time back.
    await send('192.0.2.7', 1, NOW - 1000);
    await send('192.0.2.7', 1, NOW - 250_000);
    expect(await redis.zscore(keys.online(), '192.0.2.7')).toBe(String(NOW - 1000));

    expect((await stats.read(10, NOW)).onlineNow).toBe(1);
    expect(await redis.zscore(keys.online(), '192.0.2.6')).toBeNull();
    expect((await stats.read(10, NOW + 300_000)).onlineNow).toBe(0);
    expect(await redis.zcard(keys.online())).toBe(0);
  });

  it('counts messages per minute for the last hour, oldest first, zero where none were sent', async () => {
    const { stats, send } = fresh();
    await send('192.0.2.8', 2, NOW - 2 * MINUTE);
    await send('192.0.2.8', 1, NOW);
    await send('192.0.2.8', 4, NOW - 90 * MINUTE); // outside the hour
    const minutes = await stats.messagesPerMinute(60, NOW);
    expect(minutes).toHaveLength(60);
    expect(minutes.at(-1)).toEqual({ minute: utcMinute(NOW), count: 1 });
    expect(minutes.at(-3)).toEqual({ minute: utcMinute(NOW - 2 * MINUTE), count: 2 });
    expect(minutes.reduce((sum, { count }) => sum + count, 0)).toBe(3);
  });

  it('counts messages per UTC day over the last days, today included, oldest first', async () => {
    const { stats, send } = fresh();
    await send('192.0.2.9', 2, NOW);
    await send('192.0.2.9', 3, NOW - 29 * DAY);
    await send('192.0.2.9', 4, NOW - 30 * DAY); // before the 30 days
    const days = await stats.messagesPerDay(30, NOW);
    expect(days).toHaveLength(30);
    expect(days.at(-1)).toEqual({ day: utcDay(NOW), count: 2 });
    expect(days[0]).toEqual({ day: utcDay(NOW - 29 * DAY), count: 3 });
    expect(days.reduce((sum, { count }) => sum + count, 0)).toBe(5);
  });

  it('keeps each leaderboard to its size, dropping the lowest senders', async () => {
    const { stats, send } = fresh({ leaderboardSize: 2 });
    await send('192.0.2.10', 3);
    await send('192.0.2.11', 2);
    await send('192.0.2.12', 1);
    const snapshot = await stats.read(10, NOW);
    expect(snapshot.topSenders).toEqual([
      { ip: '192.0.2.10', count: 3 },
      { ip: '192.0.2.11', count: 2 },
    ]);
    expect(snapshot.topSendersToday).toHaveLength(2);
    expect(snapshot.totalMessages).toBe(6);
  });

  it('puts a TTL on every key it writes except the all-time total and leaderboard', async () => {
    const { keys, redis, send } = fresh();
    await send('192.0.2.13', 2);
    await send('2001:db8::13', 1, NOW - DAY);
    const written = [
      keys.history('192.0.2.13'),
      keys.written('192.0.2.13'),
      keys.messagesIn(utcDay(NOW)),
      keys.messagesIn(utcDay(NOW - DAY)),
      keys.messagesIn(utcMinute(NOW - 1000)),
      keys.senders(utcDay(NOW)),
      keys.senders(utcDay(NOW - DAY)),
      keys.online(),
      keys.uniqueIps(utcDay(NOW)),
    ];
    for (const key of written) expect(await redis.ttl(key), key).toBeGreaterThan(0);
    expect(await redis.ttl(keys.totalMessages())).toBe(-1);
    expect(await redis.ttl(keys.senders())).toBe(-1);
    expect(await redis.exists(keys.uncounted('192.0.2.13'))).toBe(0);
    expect(await redis.zcard(keys.counting())).toBe(0);
  });

  it('gives a day leaderboard its TTL again when a message recreates it after an erasure emptied it', async () => {
    const { keys, redis, stats, send } = fresh();
    await send('192.0.2.18', 2);
    await stats.forget('192.0.2.18', NOW);
    expect(await redis.exists(keys.senders(utcDay(NOW)))).toBe(0);
    await send('192.0.2.18', 1);
    expect(await redis.zscore(keys.senders(utcDay(NOW)), '192.0.2.18')).toBe('1');
    expect(await redis.ttl(keys.senders(utcDay(NOW)))).toBeGreaterThan(0);
  });

  it('prunes IPs gone quiet from the online set when another IP comes online', async () => {
    const { keys, redis, send } = fresh({ onlineWindowSeconds: 60 });
    await send('192.0.2.19', 1, NOW - 120_000); // sent two minutes ago: out of the window
    await send('192.0.2.20', 3);
    await send('192.0.2.21', 1);
    expect((await redis.zrange(keys.online(), 0, -1)).sort()).toEqual(['192.0.2.20', '192.0.2.21']);
  });

  it('publishes a newly written entry on the IP’s completions channel, and a repeat not at all', async () => {
    const { redis, keys, recorder } = fresh();
    const subscriber = redis.duplicate();
    const received: Array<{ channel: string; entry: HistoryEntry }> = [];
    subscriber.on('message', (channel: string, payload: string) => received.push({ channel, entry: JSON.parse(payload) }));
    try {
      await subscriber.subscribe(keys.completions('192.0.2.16'));
      const message = entry();
      await recorder.record('192.0.2.16', message, NOW);
      await recorder.record('192.0.2.16', message, NOW);
      await recorder.record('192.0.2.17', entry(), NOW); // another IP's channel
      const last = entry();
      await recorder.record('192.0.2.16', last, NOW);
      await waitFor('both entries', () => received.length >= 2);
      expect(received).toEqual([
        { channel: keys.completions('192.0.2.16'), entry: message },
        { channel: keys.completions('192.0.2.16'), entry: last },
      ]);
    } finally {
      subscriber.disconnect();
    }
  });

  it('forgets an IP: off every leaderboard and the online set, the message counts stay', async () => {
    const { redis, keys, stats, send } = fresh();
    const history = new HistoryStore(redis, keys);
    await send('192.0.2.14', 2, NOW - DAY);
    await send('192.0.2.14', 1);
    await send('192.0.2.15', 1);
    await stats.forget('192.0.2.14', NOW);
    await history.erase('192.0.2.14');
    expect(await history.list('192.0.2.14', 10)).toEqual([]);
    const snapshot = await stats.read(10, NOW);
    expect(snapshot.topSenders).toEqual([{ ip: '192.0.2.15', count: 1 }]);
    expect(snapshot.topSendersToday).toEqual([{ ip: '192.0.2.15', count: 1 }]);
    expect(snapshot.onlineNow).toBe(1);
    expect(snapshot.totalMessages).toBe(4);
  });
});

describe.each(['standalone', 'cluster'] as const)('a day and a month ending, on %s Redis', (mode) => {
  // Boundaries still ahead of the real clock, so the keys written for them are not expired yet.
  const today = new Date(NOW);
  const boundaries = [
    ['a day', Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + 1, 2)],
    ['a month', Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + 1, 1)],
    ['a year', Date.UTC(today.getUTCFullYear() + 1, 0, 1)],
  ] as const;

  it.each(boundaries)('counts the last millisecond before %s ends in the old day, the first after it in the new', async (_, boundary) => {
    const redis = mode === 'standalone' ? standalone : cluster;
    const keys = new KeySchema(uniquePrefix('boundary'));
    const recorder = new ExchangeRecorder(redis, keys, { history: { maxEntries: 100, ttlSeconds: 3600 }, onlineWindowSeconds: 300 });
    const stats = new StatsStore(redis, keys, { onlineWindowSeconds: 300 });
    await recorder.record('192.0.2.30', entry(boundary - 1), boundary - 1);
    await recorder.record('192.0.2.30', entry(boundary - 1), boundary - 1);
    await recorder.record('192.0.2.31', entry(boundary), boundary);

    const before = await stats.read(10, boundary - 1);
    expect(before).toMatchObject({ totalMessages: 3, messagesToday: 2, uniqueIpsToday: 1, topSendersToday: [{ ip: '192.0.2.30', count: 2 }] });
    const after = await stats.read(10, boundary + 30_000);
    expect(after).toMatchObject({ totalMessages: 3, messagesToday: 1, uniqueIpsToday: 1, topSendersToday: [{ ip: '192.0.2.31', count: 1 }] });
    expect(await stats.messagesPerMinute(2, boundary + 30_000)).toEqual([
      { minute: utcMinute(boundary - 1), count: 2 },
      { minute: utcMinute(boundary), count: 1 },
    ]);

    // Each day's keys expire Retention.statsDays after that day ends: the old day's one day sooner.
    const oldDay = await redis.ttl(keys.messagesIn(utcDay(boundary - 1)));
    const newDay = await redis.ttl(keys.messagesIn(utcDay(boundary)));
    const untilBoundary = Math.ceil((boundary - Date.now()) / 1000);
    expect(oldDay).toBeGreaterThan(untilBoundary + Retention.statsDays * 86_400 - 60);
    expect(newDay - oldDay).toBeGreaterThanOrEqual(86_400 - 5);
    expect(newDay - oldDay).toBeLessThanOrEqual(86_400 + 5);
  });
});

describe('counting on Redis Cluster after a worker died between the steps', () => {
  // The four steps of ExchangeRecorder on a cluster, interrupted: the state each crash leaves
  // is set up by hand, and the retry (another record of the same message) must complete it
  // without counting twice or not at all.
  const ip = '198.51.100.20';
  async function recorded() {
    const keys = new KeySchema(uniquePrefix('crash'));
    const recorder = new ExchangeRecorder(cluster, keys, { history: { maxEntries: 100, ttlSeconds: 3600 }, onlineWindowSeconds: 300 });
    const stats = new StatsStore(cluster, keys, { onlineWindowSeconds: 300 });
    const message = entry();
    expect(await recorder.record(ip, message, NOW)).toBe(true);
    return { keys, recorder, stats, message };
  }

  it('after step 1 (history written, nothing counted): the retry counts it once', async () => {
    const { keys, recorder, stats, message } = await recorded();
    const statsKeys = await cluster.keys(`${keys.prefix}:{stats}:*`);
    await cluster.del(...statsKeys);
    await cluster.sadd(keys.uncounted(ip), message.id);

    expect(await recorder.record(ip, message, NOW)).toBe(false);
    expect((await stats.read(10, NOW)).totalMessages).toBe(1);
    expect(await cluster.exists(keys.uncounted(ip))).toBe(0);
    expect(await cluster.zcard(keys.counting())).toBe(0);
  });

  it('after step 2 (counted, both marks still set): the retry clears them and counts nothing', async () => {
    const { keys, recorder, stats, message } = await recorded();
    await cluster.sadd(keys.uncounted(ip), message.id);
    await cluster.zadd(keys.counting(), NOW, message.id);

    expect(await recorder.record(ip, message, NOW)).toBe(false);
    expect((await stats.read(10, NOW)).totalMessages).toBe(1);
    expect(await cluster.exists(keys.uncounted(ip))).toBe(0);
    expect(await cluster.zcard(keys.counting())).toBe(0);
  });

  it('after step 3 (only the counting mark left): nothing more is counted and the mark ages out', async () => {
    const { keys, recorder, stats, message } = await recorded();
    await cluster.zadd(keys.counting(), NOW, message.id);

    expect(await recorder.record(ip, message, NOW)).toBe(false);
    expect((await stats.read(10, NOW)).totalMessages).toBe(1);
    // The next message counted more than a week later drops the leftover.
    expect(await recorder.record(ip, entry(), NOW + 8 * DAY)).toBe(true);
    expect(await cluster.zscore(keys.counting(), message.id)).toBeNull();
  });
});
