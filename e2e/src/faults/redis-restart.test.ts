import { clientIps, parsePrometheusText, request, samplesOf, waitFor, type NodeProcess } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoad, summarize, type LoadResult } from '../load.js';
import { describeGrouping, expectBatched, FaultRig, groupingSince } from './rig.js';

const IPS = clientIps(54, 10);
const PER_PHASE = 300;
/**
 * Longer than BullMQ's blocking read (drainDelay 5 s + 1 s watchdog): BullMQ issue 4585 is
 * workers idle in that read through such an outage never consuming again.
 */
const OUTAGE_MS = 9000;

describe('Redis down for 9 s while the workers are idle, then back on the same port', () => {
  let rig: FaultRig;

  beforeAll(async () => {
    rig = await FaultRig.start({ label: 'redis-restart', workers: 2, workerMetrics: true, redisSettings: { appendonly: 'yes' } });
  });
  afterAll(() => rig?.stop());

  /** Jobs this worker process has completed, from its own /metrics. */
  const completedBy = async (worker: NodeProcess) => {
    const text = (await request(rig.pipeline.metricsUrlOf(worker), '/metrics')).text;
    return samplesOf(parsePrometheusText(text), 'msgpipe_worker_jobs_total', { outcome: 'completed' })[0]?.value ?? 0;
  };

  const merged = (...results: LoadResult[]) => {
    const all = new Map<string, string[]>();
    for (const result of results) for (const [ip, ids] of result.accepted) all.set(ip, [...(all.get(ip) ?? []), ...ids]);
    return all;
  };

  it('API and both workers reconnect by themselves and the workers consume again', async () => {
    const before = await startLoad({ baseUrl: rig.baseUrl, ips: IPS, total: PER_PHASE, concurrency: 10 }).done;
    expect(before.acceptedCount).toBe(PER_PHASE);
    await rig.auditor.auditWhenDrained(before.accepted);
    // Idle now: each worker sits in its blocking read for the next job.

    const atStop = await rig.grouping();
    const downAt = Date.now();
    await rig.redis.stop();
    const duringOutage = await startLoad({ baseUrl: rig.baseUrl, ips: IPS, total: 20, concurrency: 2 }).done;
    // Careful clients (an Idempotency-Key, retrying on 503) sending through the outage: every
    // one of their messages gets in once Redis is back, once.
    const retrying = startLoad({
      baseUrl: rig.baseUrl,
      ips: IPS,
      total: 100,
      concurrency: 10,
      idempotencyKeys: true,
      retry: { delayMs: 250, forMs: OUTAGE_MS + 20_000 },
    });
    await waitFor(
      'the outage to last its length, noticed by every worker',
      () => Date.now() - downAt >= OUTAGE_MS && rig.workers.every((worker) => /redis connection error|worker error/.test(worker.output)),
      { intervalMs: 100 },
    );
    await rig.restartRedis();
    const completedAtRestart = await Promise.all(rig.workers.map(completedBy));

    const after = await startLoad({ baseUrl: rig.baseUrl, ips: IPS, total: PER_PHASE, concurrency: 20, perSecond: 150, burst: 20 }).done;
    const retried = await retrying.done;
    const sinceRestart = groupingSince(await rig.grouping(), atStop);
    console.info(
      `redis restart: during the outage ${summarize(duringOutage)}; after it ${summarize(after)}; retrying clients ${summarize(retried)}; before the stop ${describeGrouping(atStop)}, since the restart ${describeGrouping(sinceRestart)}`,
    );
    // Redis added nothing while down: what the API grouped since the stop, it grouped once Redis was back.
    expectBatched(sinceRestart, 'after the restart');
    expect(duringOutage.statuses).toEqual({ 503: 20 });
    expect(duringOutage.unavailable).toMatchObject({ malformed: 0 });
    expect(duringOutage.unavailable.maxLatencyMs).toBeLessThan(2000);
    expect(after.unexpected).toEqual([]);
    expect(after.transportErrors).toEqual([]);
    expect(after.acceptedCount, 'accepted after the restart').toBeGreaterThan(PER_PHASE / 2);
    expect(retried.acceptedCount, 'retrying clients, all in').toBe(100);
    expect(retried.unexpected).toEqual([]);

    const audit = await rig.auditor.auditWhenDrained(merged(before, after, retried));
    expect(audit).toMatchObject({ missing: [], duplicated: [], notCompleted: [], repeatedTexts: 0 });
    expect(audit.queue).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    // Both workers took part after the restart, not just one that happened to come back.
    const completedNow = await Promise.all(rig.workers.map(completedBy));
    completedNow.forEach((count, index) => expect(count, `worker ${index} after the restart`).toBeGreaterThan(completedAtRestart[index]!));
    expect(rig.processes.every((process) => process.running), 'no process restarted').toBe(true);
  });
});
