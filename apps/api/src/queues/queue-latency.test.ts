import { BATCH_FORMAT, createRedis, loadConfig, MESSAGE_JOB_NAME, partitionOf, type MessageJob, type MessageJobData, type RedisClient } from '@msgpipe/shared';
import { parsePrometheusText, samplesOf, testRedisUrl, uniquePrefix, waitFor } from '@msgpipe/testkit';
import type { Job } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MessageQueues } from './message-queues.js';
import { ApiMetrics } from '../ops/metrics.js';
import { readySince } from './queue-latency.js';

const SECOND = 1000;
// Every time is derived from this injected clock, taken from today so that nothing depends on
// the date; the jobs' send times are chosen from it, not read.
const T0 = Math.floor(Date.now() / SECOND) * SECOND;

let connection: RedisClient;
let queues: MessageQueues;
beforeEach(async () => {
  const config = loadConfig({ REDIS_URL: testRedisUrl(), REDIS_PREFIX: uniquePrefix('latency') });
  connection = createRedis(config.redis, 'producer', 'latency-test');
  await waitFor('the connection', () => connection.status === 'ready');
  queues = new MessageQueues(connection, config.redis.prefix, 2);
});
afterEach(async () => {
  await queues.close();
  connection.disconnect();
});

let counter = 0;
/** An IP on the given partition of two, found by trying addresses (partitionOf is a hash). */
function ipOn(partition: number): string {
  for (let host = 1; ; host++) if (partitionOf(`192.0.2.${host}`, 2) === partition) return `192.0.2.${host}`;
}
function message(sentAt: number, ip = ipOn(0)): MessageJob {
  counter++;
  return { id: `m${String(counter).padStart(21, '0')}`, ip, message: `hello ${counter}`, sendTime: new Date(sentAt).toISOString() };
}

describe('queue latency: the age of the oldest waiting message per partition', () => {
  it('is 0 for an empty partition, and counts from the send time of the message that waited longest', async () => {
    expect(await queues.waiting(T0)).toEqual([
      { queue: 'messages', paused: false, oldestWaitingSeconds: 0 },
      { queue: 'messages-1', paused: false, oldestWaitingSeconds: 0 },
    ]);
    await queues.enqueue(message(T0));
    await queues.enqueue(message(T0 + 5 * SECOND));
    const [partition0, partition1] = await queues.waiting(T0 + 20 * SECOND);
    expect(partition0).toEqual({ queue: 'messages', paused: false, oldestWaitingSeconds: 20 });
    expect(partition1!.oldestWaitingSeconds).toBe(0);
  });

  it('gives a batch job the age of its oldest message', async () => {
    const messages = [message(T0 - 3 * SECOND, ipOn(1)), message(T0 - 1 * SECOND, ipOn(1))];
    await queues.queues[1]!.add(MESSAGE_JOB_NAME, { v: BATCH_FORMAT, messages }, { jobId: 'batch-0000000000000a' });
    const [, partition1] = await queues.waiting(T0);
    expect(partition1!.oldestWaitingSeconds).toBe(3);
  });

  it('keeps counting while a partition is paused, and says it is paused', async () => {
    await queues.enqueue(message(T0));
    await queues.queues[0]!.pause();
    const [partition0] = await queues.waiting(T0 + 7 * SECOND);
    expect(partition0).toEqual({ queue: 'messages', paused: true, oldestWaitingSeconds: 7 });
  });

  it('does not count a job waiting out a delay (a retry backoff) as waiting', async () => {
    await queues.queues[0]!.add(MESSAGE_JOB_NAME, message(T0), { jobId: 'delayed-1', delay: 60_000 });
    expect((await queues.waiting(T0 + 10 * SECOND))[0]!.oldestWaitingSeconds).toBe(0);
  });

  it('moves the gauge on /metrics as the injected clock moves, per partition', async () => {
    let now = T0 + 2 * SECOND;
    const metrics = new ApiMetrics({ queues, redisWork: (work) => work(), now: () => now });
    await queues.enqueue(message(T0, ipOn(1)));
    const gauge = async () => {
      const samples = parsePrometheusText(await metrics.registry.metrics());
      return Object.fromEntries(samplesOf(samples, 'msgpipe_queue_oldest_waiting_seconds').map((sample) => [sample.labels.queue, sample.value]));
    };
    expect(await gauge()).toEqual({ messages: 0, 'messages-1': 2 });
    now += 30 * SECOND;
    expect(await gauge()).toEqual({ messages: 0, 'messages-1': 32 });
  });
});

describe('when a job became ready to run', () => {
  const job = (fields: Partial<Job<MessageJobData>>) => ({ timestamp: T0, opts: {}, ...fields }) as Job<MessageJobData>;

  it('is its send time for a fresh job, the end of its delay for a delayed one, and its last start for one that ran', () => {
    expect(readySince(job({ data: message(T0 - 2 * SECOND) }))).toBe(T0 - 2 * SECOND);
    expect(readySince(job({ data: message(T0 - 2 * SECOND), opts: { delay: 5000 } }))).toBe(T0 + 5 * SECOND);
    expect(readySince(job({ data: message(T0 - 2 * SECOND), processedOn: T0 + 9 * SECOND }))).toBe(T0 + 9 * SECOND);
  });

  it('falls back to when the job was added for data it cannot read (a job added by hand)', () => {
    expect(readySince(job({ data: { hello: 'world' } as unknown as MessageJobData }))).toBe(T0);
    expect(readySince(job({ data: { v: BATCH_FORMAT, messages: 'nope' } as unknown as MessageJobData }))).toBe(T0);
  });
});
