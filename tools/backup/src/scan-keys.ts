import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from '@msgpipe/shared';

/** SCAN's MATCH pattern for every key under the prefix (glob characters escaped). */
export function prefixPattern(prefix: string): string {
  return `${prefix.replace(/[*?[\]\\]/g, '\\$&')}:*`;
}

/** The servers holding the data: the client itself, or every master of a cluster. */
export function dataNodes(redis: RedisClient): Redis[] {
  return redis instanceof Cluster ? redis.nodes('master') : [redis];
}

/** One SCAN step: the new keys it found, and about how many keys SCAN has walked past so far. */
export interface ScanStep {
  keys: Buffer[];
  visited: number;
}

/**
 * Every key under the prefix, SCANning each master in turn, one step (about `count` keys of
 * the whole keyspace walked) at a time; steps may have no keys of ours.
 *
 * SCAN may return a key twice (when Redis resizes its table mid-scan), so the names already
 * yielded are remembered: names only, never values. Keys are Buffers: a key is bytes.
 */
export async function* scanKeys(redis: RedisClient, prefix: string, count = 500): AsyncGenerator<ScanStep> {
  const pattern = prefixPattern(prefix);
  let visited = 0;
  for (const node of dataNodes(redis)) {
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await node.scanBuffer(cursor, 'MATCH', pattern, 'COUNT', count);
      cursor = next.toString();
      visited += count;
      const fresh = keys.filter((key) => {
        const name = key.toString('latin1');
        if (seen.has(name)) return false;
        seen.add(name);
        return true;
      });
      yield { keys: fresh, visited };
    } while (cursor !== '0');
  }
}

/** Keys on the data nodes (all of them, not only the prefix's: SCAN walks them all): the progress bar's total. */
export async function totalKeys(redis: RedisClient): Promise<number> {
  const sizes = await Promise.all(dataNodes(redis).map((node) => node.dbsize()));
  return sizes.reduce((sum, size) => sum + size, 0);
}
