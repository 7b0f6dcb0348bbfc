import { QueueKeys } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { hashSlotOf } from './hash-slot.js';
import { MAX_MESSAGE_ATTEMPTS, MESSAGE_JOB_OPTIONS, partitionOf, queueName, queuePrefix, RESPONDER_BACKOFF_TYPE } from './queue.js';

function sampleIps(count: number): string[] {
  const ips: string[] = [];
  for (let index = 0; index < count; index++) {
    ips.push(index % 2 === 0 ? `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}` : `2001:db8::${index.toString(16)}`);
  }
  return ips;
}

describe('partitionOf', () => {
  it('is the 32-bit FNV-1a hash, so every process and version agrees on it', () => {
    // Published FNV-1a test vectors; with 2^32 partitions the partition is the hash itself.
    expect(partitionOf('', 2 ** 32)).toBe(0x811c9dc5);
    expect(partitionOf('a', 2 ** 32)).toBe(0xe40c292c);
    expect(partitionOf('foobar', 2 ** 32)).toBe(0xbf9cf968);
  });

  it('always gives the same IP the same partition', () => {
    for (const ip of sampleIps(200)) {
      expect(partitionOf(ip, 7)).toBe(partitionOf(ip, 7));
    }
  });

  it('puts everything in partition 0 when there is one partition', () => {
    for (const ip of sampleIps(100)) expect(partitionOf(ip, 1)).toBe(0);
  });

  it('always returns an integer from 0 to partitions - 1', () => {
    for (const partitions of [2, 3, 8, 64]) {
      for (const ip of sampleIps(500)) {
        const partition = partitionOf(ip, partitions);
        expect(Number.isInteger(partition)).toBe(true);
        expect(partition).toBeGreaterThanOrEqual(0);
        expect(partition).toBeLessThan(partitions);
      }
    }
  });

  it.each([3, 8, 16])('spreads 4000 IPs evenly enough over %i partitions', (partitions) => {
    const counts = new Array<number>(partitions).fill(0);
    for (const ip of sampleIps(4000)) counts[partitionOf(ip, partitions)]! += 1;
    const expected = 4000 / partitions;
    for (const count of counts) {
      expect(count).toBeGreaterThan(expected * 0.75);
      expect(count).toBeLessThan(expected * 1.25);
    }
  });

  it('separates neighbouring addresses', () => {
    const partitions = new Set(['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5'].map((ip) => partitionOf(ip, 4)));
    expect(partitions.size).toBeGreaterThan(1);
  });
});

describe('queue names and prefixes', () => {
  it('calls partition 0 plain "messages" and the others messages-N', () => {
    expect(queueName(0)).toBe('messages');
    expect(queueName(1)).toBe('messages-1');
    expect(queueName(63)).toBe('messages-63');
  });

  it('starts every queue prefix with REDIS_PREFIX and wraps the queue name in a hash tag', () => {
    expect(queuePrefix('msgpipe', 0)).toBe('msgpipe:{messages}');
    expect(queuePrefix('app', 5)).toBe('app:{messages-5}');
  });

  it('keeps all of one partition\'s BullMQ keys in one Redis Cluster slot', () => {
    for (const partition of [0, 1, 7, 63]) {
      const bullKeys = Object.values(new QueueKeys(queuePrefix('msgpipe', partition)).getKeys(queueName(partition)));
      expect(bullKeys.length).toBeGreaterThan(10);
      for (const key of bullKeys) expect(key.startsWith('msgpipe:')).toBe(true);
      expect(new Set(bullKeys.map(hashSlotOf)).size).toBe(1);
    }
  });

  it('gives each of the 64 possible partitions its own hash tag and its own slot', () => {
    const partitions = Array.from({ length: 64 }, (_, partition) => partition);
    const tags = partitions.map((partition) => /\{([^}]*)\}/.exec(queuePrefix('msgpipe', partition))?.[1]);
    expect(new Set(tags).size).toBe(64);
    const slots = partitions.map((partition) => hashSlotOf(new QueueKeys(queuePrefix('msgpipe', partition)).toKey(queueName(partition), 'wait')));
    expect(new Set(slots).size).toBe(64);
  });
});

describe('MESSAGE_JOB_OPTIONS', () => {
  it('retries a failing job with the worker\'s backoff and bounds what finished jobs keep in Redis', () => {
    expect(MESSAGE_JOB_OPTIONS.attempts).toBe(MAX_MESSAGE_ATTEMPTS);
    expect(MESSAGE_JOB_OPTIONS.backoff).toEqual({ type: RESPONDER_BACKOFF_TYPE, delay: 500 });
    // A custom type: BullMQ only consults the worker's backoffStrategy for types it does not know.
    expect(['fixed', 'exponential']).not.toContain(RESPONDER_BACKOFF_TYPE);
    expect(MESSAGE_JOB_OPTIONS.removeOnComplete).toMatchObject({ age: expect.any(Number), count: expect.any(Number) });
    expect(MESSAGE_JOB_OPTIONS.removeOnFail).toMatchObject({ age: expect.any(Number), count: expect.any(Number) });
  });
});

describe('MAX_MESSAGE_ATTEMPTS', () => {
  // Jobs are enqueued with the maximum and the worker stops after RESPONDER_ATTEMPTS, so any
  // value the configuration accepts must fit in what the job allows.
  it('is the largest RESPONDER_ATTEMPTS the configuration accepts', () => {
    expect(loadConfig({ RESPONDER_ATTEMPTS: String(MAX_MESSAGE_ATTEMPTS) }).responderPolicy.attempts).toBe(MAX_MESSAGE_ATTEMPTS);
    expect(() => loadConfig({ RESPONDER_ATTEMPTS: String(MAX_MESSAGE_ATTEMPTS + 1) })).toThrow(/RESPONDER_ATTEMPTS/);
  });
});
