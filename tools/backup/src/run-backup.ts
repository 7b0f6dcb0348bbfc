import type { RedisClient } from '@msgpipe/shared';
import { BackupWriter } from './backup-writer.js';
import { withDeadline } from './deadline.js';
import type { BackupRecord } from './format.js';
import { scanKeys, totalKeys } from './scan-keys.js';
import { redisVersion } from './server-info.js';

export interface BackupOptions {
  redis: RedisClient;
  prefix: string;
  out: string;
  /** Keys per SCAN step and per batch of DUMP/PTTL in flight. */
  batchSize?: number;
  /** How long one batch may wait for Redis before the backup fails. */
  stallTimeoutMs?: number;
  /** `visited` of `total`: about how far SCAN has walked the whole keyspace (every prefix). */
  onProgress?: (progress: { visited: number; total: number; written: number; bytes: number }) => void;
}

export interface BackupSummary {
  keys: number;
  /** Keys SCAN listed that expired or were deleted before they could be read. */
  vanished: number;
  bytes: number;
  seconds: number;
}

/** DUMP and PTTL of each key, sent together (one round trip per batch); vanished keys are left out. */
async function readBatch(redis: RedisClient, keys: Buffer[]): Promise<BackupRecord[]> {
  const replies = await Promise.all(keys.map((key) => Promise.all([redis.dumpBuffer(key), redis.pttl(key)])));
  const readAt = Date.now();
  const records: BackupRecord[] = [];
  replies.forEach(([dump, pttl], index) => {
    // -2: gone. A key deleted or expired between DUMP and PTTL is gone too.
    if (dump === null || pttl === -2) return;
    records.push({ key: keys[index]!, dump, expireAt: pttl > 0 ? readAt + pttl : null });
  });
  return records;
}

/**
 * A logical backup of every key under `prefix` to `out`, streamed: one batch of keys in memory
 * at a time. Not a point-in-time snapshot across keys (each key is read whole and at once);
 * stop the API and workers first for a consistent copy, or copy the RDB file instead.
 */
export async function runBackup(options: BackupOptions): Promise<BackupSummary> {
  const { redis, prefix, out, batchSize = 500, stallTimeoutMs = 60_000 } = options;
  const started = performance.now();
  const total = await withDeadline(totalKeys(redis), stallTimeoutMs, 'counting keys');
  const writer = await BackupWriter.create(out, {
    prefix,
    createdAt: new Date().toISOString(),
    redisVersion: await withDeadline(redisVersion(redis), stallTimeoutMs, 'reading the Redis version'),
    cluster: redis.isCluster,
  });
  let scanned = 0;
  try {
    const steps = scanKeys(redis, prefix, batchSize);
    for (;;) {
      const step = await withDeadline(steps.next(), stallTimeoutMs, 'scanning keys');
      if (step.done) break;
      const { keys, visited } = step.value;
      scanned += keys.length;
      if (keys.length > 0) {
        const records = await withDeadline(readBatch(redis, keys), stallTimeoutMs, 'reading keys');
        for (const record of records) await writer.write(record);
      }
      options.onProgress?.({ visited: Math.min(visited, total), total, written: writer.records, bytes: writer.bytes });
    }
    await writer.finish();
  } catch (error) {
    await writer.abort();
    throw error;
  }
  return {
    keys: writer.records,
    vanished: scanned - writer.records,
    bytes: writer.bytes,
    seconds: (performance.now() - started) / 1000,
  };
}
