import { describe, expect, it } from 'vitest';
import { groupBySlot, hashSlotOf } from './hash-slot.js';

describe('hashSlotOf', () => {
  it('is the slot of the hash tag, as Redis Cluster computes it', () => {
    // CLUSTER KEYSLOT foo answers 12182.
    expect(hashSlotOf('foo')).toBe(12182);
    expect(hashSlotOf('a:{foo}:b')).toBe(12182);
  });
});

describe('groupBySlot', () => {
  it('groups indexes by slot, in order of first appearance', () => {
    const keys = ['x:{a}', 'x:{b}', 'y:{a}', 'x:{c}', 'z:{b}'];
    const groups = groupBySlot(keys, (key) => key);
    expect(groups).toEqual([[0, 2], [1, 4], [3]]);
  });
});
