import type { Queue } from 'bullmq';
import { Cluster, type Redis } from 'ioredis';
import {
  ExchangeRecorder,
  HistoryStore,
  KeySchema,
  MESSAGE_JOB_NAME,
  openMessageQueue,
  partitionOf,
  StatsStore,
  type HistoryEntry,
  type MessageJob,
  type RedisClient,
} from '@msgpipe/shared';

export const IPS = ['1.2.3.4', '2001:db8::1', '10.0.0.7', '192.168.1.20'];
export const PARTITIONS = 3;
const HISTORY_TTL_SECONDS = 3600;

/**
 * Fills Redis the way the product does: histories and stats through the worker's
 * ExchangeRecorder, and waiting and delayed jobs on every queue partition through BullMQ
 * with the product's queue names, prefixes and job options.
 */
export class ProductData {
  readonly keys: KeySchema;
  readonly queues: Array<Queue<MessageJob>>;

  constructor(
    readonly redis: RedisClient,
    readonly prefix: string,
  ) {
    this.keys = new KeySchema(prefix);
    this.queues = Array.from({ length: PARTITIONS }, (_, partition) => openMessageQueue(redis, prefix, partition));
  }

  async fill(now = Date.now()): Promise<void> {
    const recorder = new ExchangeRecorder(this.redis, this.keys, { history: { maxEntries: 100, ttlSeconds: HISTORY_TTL_SECONDS }, onlineWindowSeconds: 300 });
    let counter = 0;
    for (const [index, ip] of IPS.entries()) {
      for (let n = 0; n <= index + 1; n++) {
        counter++;
        const sentAt = now - 60_000 + counter * 1000;
        const entry: HistoryEntry = {
          id: `msg-${counter}`,
          message: `hello ${counter} ✓`,
          sendTime: new Date(sentAt).toISOString(),
          status: counter % 5 === 0 ? 'failed' : 'completed',
          ...(counter % 5 === 0 ? { error: 'upstream said no' } : { response: `reply ${counter}` }),
          respondedAt: new Date(sentAt + 20).toISOString(),
        };
        await recorder.record(ip, entry, now);
      }
      const job: MessageJob = { id: `queued-${index}`, ip, message: `still queued ${index}`, sendTime: new Date(now).toISOString() };
      const queue = this.queues[partitionOf(ip, PARTITIONS)]!;
      await queue.add(MESSAGE_JOB_NAME, job, { jobId: job.id });
      await queue.add(MESSAGE_JOB_NAME, { ...job, id: `delayed-${index}` }, { jobId: `delayed-${index}`, delay: 3_600_000 });
    }
  }

  /** What the product shows: every history, the stats, every queued job. */
  async snapshot(now: number): Promise<unknown> {
    const history = new HistoryStore(this.redis, this.keys);
    const stats = new StatsStore(this.redis, this.keys, { onlineWindowSeconds: 300 });
    return {
      histories: await Promise.all(IPS.map((ip) => history.list(ip, 100))),
      stats: await stats.read(10, now),
      queues: await Promise.all(
        this.queues.map(async (queue) => ({
          counts: await queue.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed'),
          jobs: (await queue.getJobs(['waiting', 'delayed'])).map((job) => ({ id: job.id, data: job.data, delay: job.delay })).sort((a, b) => String(a.id).localeCompare(String(b.id))),
        })),
      ),
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.queues.map((queue) => queue.close()));
  }
}

/** The servers holding data: listed independently of the code under test. */
export function masters(redis: RedisClient): Redis[] {
  return redis instanceof Cluster ? redis.nodes('master') : [redis];
}

/** Every key matching `pattern` with its PTTL, read with KEYS on each master. */
export async function keysWithTtl(redis: RedisClient, pattern: string): Promise<Map<string, number>> {
  const result = new Map<string, number>();
  for (const node of masters(redis)) {
    for (const key of await node.keys(pattern)) result.set(key, await node.pttl(key));
  }
  return result;
}

export async function flushAll(redis: RedisClient): Promise<void> {
  await Promise.all(masters(redis).map((node) => node.flushall()));
}

export async function keyCount(redis: RedisClient): Promise<number> {
  const sizes = await Promise.all(masters(redis).map((node) => node.dbsize()));
  return sizes.reduce((sum, size) => sum + size, 0);
}
