import type { RedisClient } from '@msgpipe/shared';
import { readRecords, verifyBackupFile } from './backup-reader.js';
import { withDeadline } from './deadline.js';
import type { BackupRecord } from './format.js';

export interface RestoreOptions {
  redis: RedisClient;
  prefix: string;
  file: string;
  /** Overwrite keys that exist; without it, any existing key stops the restore before it writes. */
  replace: boolean;
  batchSize?: number;
  stallTimeoutMs?: number;
  /** The time a key's remaining TTL is counted from (tests move it forward). */
  clock?: () => number;
  /** `total` is 0 while verifying: the count is known once the file is read. */
  onProgress?: (progress: { phase: 'verifying' | 'checking' | 'restoring'; done: number; total: number }) => void;
}

export interface RestoreSummary {
  restored: number;
  /** Keys whose TTL ran out between the backup and now. */
  expired: number;
  bytes: number;
  seconds: number;
}

/** The restore was refused before anything was written. */
export class RestoreRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestoreRefusedError';
  }
}

async function* batchesOf(records: AsyncIterable<BackupRecord>, size: number): AsyncGenerator<BackupRecord[]> {
  let batch: BackupRecord[] = [];
  for await (const record of records) {
    batch.push(record);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** ms left for a record now; 0 means no TTL, negative means already expired. */
function remainingTtl(record: BackupRecord, now: number): number {
  if (record.expireAt === null) return 0;
  const left = record.expireAt - now;
  return left > 0 ? left : -1;
}

const shown = (key: Buffer) => JSON.stringify(key.toString('utf8'));

/**
 * Loads a backup back: verifies the whole file first (format, count, checksum, every key
 * under `prefix`), then, unless `replace`, checks that none of its keys exists, and only then
 * RESTOREs each key with the TTL it had left: a key expires at the same moment it would have
 * without the backup, and keys already past that moment are skipped. Each RESTORE is one key,
 * so a cluster client routes it to the key's master.
 */
export async function runRestore(options: RestoreOptions): Promise<RestoreSummary> {
  const { redis, prefix, file, replace, batchSize = 500, stallTimeoutMs = 60_000, clock = Date.now, onProgress } = options;
  const started = performance.now();
  const keyPrefix = Buffer.from(`${prefix}:`);

  let checked = 0;
  const verified = await verifyBackupFile(file, {
    onHeader: (header) => {
      if (header.prefix === prefix) return;
      throw new RestoreRefusedError(`the backup is of REDIS_PREFIX ${header.prefix}, not ${prefix}: run with REDIS_PREFIX=${header.prefix}; nothing was written`);
    },
    onRecord: (record) => {
      if (!record.key.subarray(0, keyPrefix.length).equals(keyPrefix)) {
        throw new RestoreRefusedError(`the backup holds key ${shown(record.key)}, outside its REDIS_PREFIX ${prefix}; nothing was written`);
      }
      onProgress?.({ phase: 'verifying', done: ++checked, total: 0 });
    },
  });
  const total = verified.keys;

  if (!replace) {
    const conflicts: Buffer[] = [];
    let conflictCount = 0;
    let done = 0;
    for await (const batch of batchesOf(readRecords(file), batchSize)) {
      const now = clock();
      const live = batch.filter((record) => remainingTtl(record, now) >= 0);
      const exists = await withDeadline(Promise.all(live.map((record) => redis.exists(record.key))), stallTimeoutMs, 'checking keys');
      live.forEach((record, index) => {
        if (exists[index] === 0) return;
        conflictCount++;
        if (conflicts.length < 5) conflicts.push(record.key);
      });
      onProgress?.({ phase: 'checking', done: (done += batch.length), total });
    }
    if (conflictCount > 0) {
      throw new RestoreRefusedError(
        `${conflictCount} of the backup's keys already exist (${conflicts.map(shown).join(', ')}${conflictCount > conflicts.length ? ', …' : ''}); ` +
          'nothing was written. Restore with --replace to overwrite them.',
      );
    }
  }

  let restored = 0;
  let expired = 0;
  let done = 0;
  for await (const batch of batchesOf(readRecords(file), batchSize)) {
    const now = clock();
    const live = batch.filter((record) => remainingTtl(record, now) >= 0);
    expired += batch.length - live.length;
    const writes = live.map((record) => {
      const ttl = remainingTtl(record, now);
      const restore = replace ? redis.restore(record.key, ttl, record.dump, 'REPLACE') : redis.restore(record.key, ttl, record.dump);
      return restore.then(
        () => undefined,
        (error: Error) => new Error(`RESTORE ${shown(record.key)}: ${error.message}`),
      );
    });
    const failures = (await withDeadline(Promise.all(writes), stallTimeoutMs, 'restoring keys')).filter((failure) => failure !== undefined);
    restored += live.length - failures.length;
    if (failures.length > 0) {
      const more = failures.length > 1 ? ` (and ${failures.length - 1} more in that batch)` : '';
      throw new Error(`${failures[0]!.message}${more}; ${restored} keys were restored before it stopped`);
    }
    onProgress?.({ phase: 'restoring', done: (done += batch.length), total });
  }
  return { restored, expired, bytes: verified.bytes, seconds: (performance.now() - started) / 1000 };
}
