import { createRedis, KeySchema, loadConfig, MESSAGE_JOB_NAME, openMessageQueue, StatsStore, type HistoryEntry, type MessageJob, type RedisClient } from '@msgpipe/shared';
import { parsePrometheusText, RedisServer, samplesOf, uniquePrefix, waitFor } from '@msgpipe/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GroupCommitRecorder } from './group-commit-recorder.js';
import { silentLogger } from './pipeline.fixture.js';
import { RecordRefusedError, RefusalAwareRecorder } from './record-refusals.js';
import type { Responder } from './responders/responder.js';
import { createWorker } from './worker.js';

// A Redis of this file's own: INFO commandstats and MONITOR see this file's calls only, and
// one test fills its memory.
let server: RedisServer;
let redis: RedisClient;
beforeAll(async () => {
  server = await RedisServer.start({ settings: { 'maxmemory-policy': 'noeviction' } });
  redis = createRedis({ url: server.url, clusterNodes: undefined, prefix: 'x' }, 'worker');
});
afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

const POLICY = { history: { maxEntries: 100, ttlSeconds: 3600 }, onlineWindowSeconds: 300 };

let counter = 0;
function finished(ip: string): { ip: string; entry: HistoryEntry } {
  counter++;
  const now = new Date().toISOString();
  return { ip, entry: { id: `msg-${counter}`, message: `hello ${counter}`, sendTime: now, status: 'completed', response: 'hi', respondedAt: now } };
}

/** EVALSHA calls since the last CONFIG RESETSTAT. */
async function scriptCalls(): Promise<number> {
  return Number(/^cmdstat_evalsha:calls=(\d+)/m.exec(await redis.info('commandstats'))?.[1] ?? 0);
}

function freshRecorder() {
  const keys = new KeySchema(uniquePrefix('group-commit'));
  return { keys, recorder: new GroupCommitRecorder(new RefusalAwareRecorder(redis, keys, POLICY)), stats: new StatsStore(redis, keys, POLICY) };
}

describe('GroupCommitRecorder', () => {
  it('writes 100 concurrent records in two script calls: the first at once, the other 99 together', async () => {
    const { recorder, stats } = freshRecorder();
    await recorder.record('192.0.2.1', finished('192.0.2.1').entry); // the script is cached: no NOSCRIPT retry below
    const items = Array.from({ length: 100 }, (_, n) => finished(`192.0.2.${(n % 10) + 1}`));
    await redis.config('RESETSTAT');

    expect(await Promise.all(items.map(({ ip, entry }) => recorder.record(ip, entry)))).toEqual(items.map(() => true));
    expect(await scriptCalls()).toBe(2);
    // The same records again: two more calls, each record answered "written before".
    expect(await Promise.all(items.map(({ ip, entry }) => recorder.record(ip, entry)))).toEqual(items.map(() => false));
    expect(await scriptCalls()).toBe(4);
    const snapshot = await stats.read(20);
    expect(snapshot.totalMessages).toBe(101);
    expect(snapshot.topSenders.map((sender) => sender.count).sort()).toEqual([...Array(9).fill(10), 11]);
  });

  it('fails every record of a call Redis refused with RecordRefusedError, and writes them when memory is back', async () => {
    const { keys, recorder, stats } = freshRecorder();
    const items = Array.from({ length: 10 }, (_, n) => finished(`192.0.2.${n + 20}`));
    const used = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
    await redis.config('SET', 'maxmemory', String(Math.floor(used / 2)));
    try {
      const outcomes = await Promise.allSettled(items.map(({ ip, entry }) => recorder.record(ip, entry)));
      expect(outcomes.map((outcome) => outcome.status === 'rejected' && outcome.reason instanceof RecordRefusedError)).toEqual(items.map(() => true));
    } finally {
      await redis.config('SET', 'maxmemory', '0');
    }
    expect(await redis.exists(...items.map(({ ip }) => keys.history(ip)))).toBe(0);

    expect(await Promise.all(items.map(({ ip, entry }) => recorder.record(ip, entry)))).toEqual(items.map(() => true));
    expect((await stats.read(20)).totalMessages).toBe(10);
  });
});

describe('the worker records messages answered together in one script call', () => {
  it('20 messages answered at the same moment: two record script calls, every message written and counted once', async () => {
    const config = loadConfig({ REDIS_URL: server.url, REDIS_PREFIX: uniquePrefix('group-worker'), LOG_LEVEL: 'silent', WORKER_CONCURRENCY: '20' });
    const queue = openMessageQueue(redis, config.redis.prefix, 0);
    const keys = new KeySchema(config.redis.prefix);
    // Holds every answer until all 20 messages are being answered, then gives them at once.
    const waiting: Array<() => void> = [];
    const responder: Responder = {
      async respond(message) {
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          if (waiting.length === 20) for (const release of waiting) release();
        });
        return `echo: ${message}`;
      },
    };
    // The record script is the one EVALSHA whose first key is a history (BullMQ's keys are the queue's).
    const monitor = await new Redis(server.url, { lazyConnect: true }).monitor();
    const recordCalls: string[][] = [];
    const echoed = new Set<string>();
    monitor.on('monitor', (_time: string, args: string[]) => {
      const command = args[0]?.toLowerCase();
      if (command === 'evalsha' && args[3]?.startsWith(`${config.redis.prefix}:ip:`)) recordCalls.push(args);
      if (command === 'echo') echoed.add(args[1]!);
    });
    const worker = createWorker({ config, connection: redis, logger: silentLogger, responder });
    try {
      const jobs: MessageJob[] = Array.from({ length: 20 }, (_, n) => ({ id: `job-${n}`, ip: `198.51.100.${n + 1}`, message: `m${n}`, sendTime: new Date().toISOString() }));
      await queue.addBulk(jobs.map((job) => ({ name: MESSAGE_JOB_NAME, data: job, opts: { jobId: job.id } })));
      await waitFor('every job completed', async () => (await queue.getJobCounts('completed')).completed === 20);
      // MONITOR shows commands in the order Redis ran them: once it shows this one, it has shown the records.
      const fence = `fence-${Math.random()}`;
      await redis.echo(fence);
      await waitFor('the fence in the monitor', () => echoed.has(fence));

      expect(recordCalls).toHaveLength(2);
      // record-exchanges.lua takes 10 keys per message.
      expect(recordCalls.map((args) => Number(args[2]) / 10)).toEqual([1, 19]);
      expect((await new StatsStore(redis, keys, config).read(20)).totalMessages).toBe(20);
      for (const job of jobs) expect(await redis.llen(keys.history(job.ip))).toBe(1);
      // The end-to-end metric is still observed once per message written.
      const samples = parsePrometheusText(await worker.metrics.registry.metrics());
      expect(samplesOf(samples, 'msgpipe_message_end_to_end_seconds_count')[0]?.value).toBe(20);
    } finally {
      await worker.close();
      await queue.close();
      monitor.disconnect();
    }
  });
});
