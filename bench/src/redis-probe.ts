import type { Redis } from 'ioredis';

/** One field of INFO, as a number (NaN when absent). */
export function infoField(info: string, name: string): number {
  const match = new RegExp(`^${name}:([^\\r\\n]+)`, 'm').exec(info);
  return match ? Number(match[1]) : NaN;
}

export async function usedMemory(redis: Redis): Promise<number> {
  return infoField(await redis.info('memory'), 'used_memory');
}

/** CPU seconds the Redis server has used so far (user + system, all its threads). */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  return infoField(info, 'used_cpu_user') + infoField(info, 'used_cpu_sys');
}

export interface HistoryFootprint {
  ips: number;
  entries: number;
  /** The IPs' history lists (MEMORY USAGE), per 1,000 entries. */
  historyBytesPer1000Entries: number | null;
  /** The written-id sets that make the write idempotent (up to 1,000 ids per IP), per 1,000 ids. */
  writtenIds: number;
  writtenBytesPer1000Ids: number | null;
}

const per1000 = (bytes: number, count: number) => (count ? Math.round((bytes / count) * 1000) : null);

/** What the histories of `prefix` take in Redis: MEMORY USAGE of every history list and written-id set. */
export async function historyFootprint(redis: Redis, prefix: string): Promise<HistoryFootprint> {
  let ips = 0;
  let entries = 0;
  let historyBytes = 0;
  let writtenIds = 0;
  let writtenBytes = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:ip:*:history`, 'COUNT', 1000);
    cursor = next;
    for (const historyKey of keys) {
      const writtenKey = historyKey.replace(/:history$/, ':written');
      const replies = await redis
        .multi()
        .llen(historyKey)
        .memory('USAGE', historyKey, 'SAMPLES', '0')
        .zcard(writtenKey)
        .memory('USAGE', writtenKey, 'SAMPLES', '0')
        .exec();
      const [length = 0, listBytes = 0, ids = 0, setBytes = 0] = (replies ?? []).map(([, value]) => Number(value ?? 0));
      ips++;
      entries += length;
      historyBytes += listBytes;
      writtenIds += ids;
      writtenBytes += setBytes;
    }
  } while (cursor !== '0');
  return {
    ips,
    entries,
    historyBytesPer1000Entries: per1000(historyBytes, entries),
    writtenIds,
    writtenBytesPer1000Ids: per1000(writtenBytes, writtenIds),
  };
}

/** Removes every key of `prefix` (a run against someone's REDIS_URL cleans up after itself). */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== '0');
}
