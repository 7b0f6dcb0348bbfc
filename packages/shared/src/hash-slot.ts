import { createRequire } from 'node:module';

/** Redis Cluster's hash slot of a key (CRC16 of its hash tag), as ioredis computes it. */
export const hashSlotOf = createRequire(import.meta.url)('cluster-key-slot') as (key: string) => number;

/**
 * Indexes of `items` grouped by the hash slot `keyOf` gives each, in order: one group per
 * script call on a cluster, where a call's keys must share a slot.
 */
export function groupBySlot<T>(items: readonly T[], keyOf: (item: T) => string): number[][] {
  const groups = new Map<number, number[]>();
  items.forEach((item, index) => {
    const slot = hashSlotOf(keyOf(item));
    const group = groups.get(slot);
    if (group) group.push(index);
    else groups.set(slot, [index]);
  });
  return [...groups.values()];
}
