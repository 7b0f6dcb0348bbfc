import { partitionOf } from '@msgpipe/shared';
import { clientIps, startPipeline, testRedisUrl, type Pipeline } from '@msgpipe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { expectExactlyOnce, sendFromEach, type Sent } from './traffic.js';

const IPS = clientIps(24, 12);
const PER_IP = 4;

/**
 * Changing QUEUE_PARTITIONS with messages still queued under the old count: the procedure of
 * docs/operations.md (workers consume the union of old and new partitions through WORKER_PARTITIONS,
 * then the API switches) loses nothing. Workers start last here, so the old count's backlog is
 * certainly still queued when the API switches.
 */
describe('changing QUEUE_PARTITIONS on a live system', () => {
  let pipeline: Pipeline | undefined;
  afterEach(async () => {
    await pipeline?.kill();
    pipeline = undefined;
  });

  async function run(from: number, to: number): Promise<void> {
    pipeline = await startPipeline({
      redis: testRedisUrl(),
      workers: 0,
      label: 'e2e-resize',
      env: { RATE_LIMIT_PER_MINUTE: '0', QUEUE_PARTITIONS: String(from) },
    });
    const { baseUrl } = pipeline;
    const queuedBefore = await sendFromEach(baseUrl, IPS, PER_IP, 'before');
    await pipeline.restartApi({ QUEUE_PARTITIONS: String(to) });
    const queuedAfter = await sendFromEach(baseUrl, IPS, PER_IP, 'after');

    const union = `0-${Math.max(from, to) - 1}`;
    await pipeline.startWorker({ QUEUE_PARTITIONS: String(to), WORKER_PARTITIONS: union });

    const sent: Sent = new Map(IPS.map((ip) => [ip, [...queuedBefore.get(ip)!, ...queuedAfter.get(ip)!]]));
    await expectExactlyOnce(baseUrl, sent);
  }

  it('grows 1 → 3 partitions without losing the messages queued before', async () => {
    expect(new Set(IPS.map((ip) => partitionOf(ip, 3))).size).toBe(3);
    await run(1, 3);
  });

  it('shrinks 3 → 1 partition: WORKER_PARTITIONS=0-2 drains the partitions the API no longer fills', async () => {
    await run(3, 1);
  });
});
