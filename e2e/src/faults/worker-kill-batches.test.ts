import { randomBytes } from 'node:crypto';
import { BATCH_FORMAT, createRedis, MESSAGE_JOB_NAME, openMessageQueue, type MessageJob, type MessageJobData } from '@msgpipe/shared';
import { clientIps, waitFor } from '@msgpipe/testkit';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultRig } from './rig.js';
import { SlowUpstream } from './slow-upstream.js';

const IPS = clientIps(57, 30);
const BATCHES = 100;
const PER_BATCH = 25;
const TOTAL = BATCHES * PER_BATCH;

// Puts batch jobs (format 2) on the queue itself, as the API does under load, so that every job
// is a batch of a known size, and kills a worker that holds some of them half answered.
// worker-kill.test.ts kills one holding the API's own batches.
describe('kill -9 of one of two workers holding batch jobs', () => {
  let rig: FaultRig;
  let upstream: SlowUpstream;
  let queue: Queue<MessageJobData>;

  beforeAll(async () => {
    // Each answer takes 50 ms: a batch of 25 stays in flight long enough to be killed in.
    upstream = await SlowUpstream.start(50);
    rig = await FaultRig.start({ label: 'worker-kill-batches', workers: 2, env: upstream.responderEnv });
    const connection = createRedis({ url: rig.redis.url, clusterNodes: undefined, prefix: rig.pipeline.prefix }, 'worker', 'batch-producer');
    queue = openMessageQueue(connection, rig.pipeline.prefix, 0) as Queue<MessageJobData>;
  });
  afterAll(async () => {
    await queue?.close();
    await rig?.stop();
    await upstream?.close();
  });

  it('loses nothing and duplicates nothing; the batches it held run again, skipping what was recorded', async () => {
    const accepted = new Map<string, string[]>(IPS.map((ip) => [ip, []]));
    const sendTime = new Date().toISOString();
    for (let batch = 0; batch < BATCHES; batch++) {
      const messages: MessageJob[] = Array.from({ length: PER_BATCH }, (_, index) => {
        const ip = IPS[(batch * PER_BATCH + index) % IPS.length]!;
        const id = randomBytes(16).toString('base64url');
        accepted.get(ip)!.push(id);
        return { id, ip, message: `batch ${batch} message ${index}`, sendTime };
      });
      await queue.add(MESSAGE_JOB_NAME, { v: BATCH_FORMAT, messages }, { jobId: `batch-${batch}` });
    }

    await waitFor('a tenth of the messages answered', () => upstream.calls.filter((call) => call.answeredAt).length >= TOTAL / 10);
    const activeAtKill = await rig.auditor.activeJobs();
    const [victim] = rig.workers;
    expect((await victim!.stop('SIGKILL')).signal).toBe('SIGKILL');
    const answeredAtKill = upstream.calls.filter((call) => call.answeredAt).length;
    expect(answeredAtKill, 'the kill landed mid-run').toBeLessThan(TOTAL);
    expect(activeAtKill.size, 'batches were in flight').toBeGreaterThan(1);

    const audit = await rig.auditor.auditWhenDrained(accepted);
    expect(audit).toMatchObject({ accepted: TOTAL, missing: [], duplicated: [], notCompleted: [], unacknowledged: 0 });
    expect(audit.queue).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    // A batch run again skips recorded messages: only the killed worker's calls in flight (at
    // most its WORKER_CONCURRENCY) are made again.
    const again = upstream.calls.length - TOTAL;
    console.info(`worker kill -9 with batches: ${TOTAL} messages in ${BATCHES} jobs, ${activeAtKill.size} active at the kill, ${again} calls made again`);
    expect(again).toBeLessThanOrEqual(Number(rig.pipeline.env.WORKER_CONCURRENCY));
  });
});
