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
  /** The IPs' history lists and written-id sets, per 1,000 history entries. */
  bytesPer1000Entries: number | null;
}

/** What the histories of `prefix` take in Redis: MEMORY USAGE of every history and written-id key. */
export async function historyFootprint(redis: Redis, prefix: string): Promise<HistoryFootprint> {
  let ips = 0;
  let entries = 0;
  let bytes = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:ip:*:history`, 'COUNT', 1000);
    cursor = next;
    for (const historyKey of keys) {
      const writtenKey = historyKey.replace(/:history$/, ':written');
      const [length, historyBytes, writtenBytes] = (await redis
        .multi()
        .llen(historyKey)
        .memory('USAGE', historyKey, 'SAMPLES', '0')
        .memory('USAGE', writtenKey, 'SAMPLES', '0')
        .exec())!.map(([, value]) => Number(value ?? 0));
      ips++;
      entries += length!;
      bytes += historyBytes! + writtenBytes!;
    }
  } while (cursor !== '0');
  return { ips, entries, bytesPer1000Entries: entries ? Math.round((bytes / entries) * 1000) : null };
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
