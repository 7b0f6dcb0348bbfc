import { clientIps, waitFor } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoad, summarize } from '../load.js';
import { describeGrouping, expectBatched, FaultRig } from './rig.js';

const IPS = clientIps(58, 20);
const SHUTDOWN_TIMEOUT_MS = 4000;

describe('Redis killed mid-load, then SIGTERM of the API and the worker while it is down', () => {
  let rig: FaultRig;

  beforeAll(async () => {
    rig = await FaultRig.start({
      label: 'sigterm-redis-down',
      workers: 1,
      redisSettings: { appendonly: 'yes', appendfsync: 'always' },
      env: { SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) },
    });
  });
  afterAll(() => rig?.stop());

  it('both exit 0 without waiting out the timeout; on a fresh start every 202 is answered once', async () => {
    const [api, worker] = [rig.api, rig.workers[0]!];
    const load = startLoad({ baseUrl: rig.baseUrl, ips: IPS, total: 1000, concurrency: 20, perSecond: 250, burst: 20 });
    await waitFor('a third of the load accepted', () => load.progress.accepted >= 300);
    const atKill = await rig.grouping();
    rig.redis.signal('SIGKILL');
    await rig.redis.exited;

    const signalAt = Date.now();
    api.child.kill('SIGTERM');
    worker.child.kill('SIGTERM');
    const [apiEnding, workerEnding] = await Promise.all([api.exited.then((ending) => ({ ...ending, ms: Date.now() - signalAt })), worker.exited.then((ending) => ({ ...ending, ms: Date.now() - signalAt }))]);
    const result = await load.stop();
    console.info(`SIGTERM with Redis down: api ${JSON.stringify(apiEnding)}, worker ${JSON.stringify(workerEnding)}; ${summarize(result)}; before the kill ${describeGrouping(atKill)}`);
    // Nothing was left to drain: Redis being gone must not turn the stop into a timeout (exit 1).
    expect(apiEnding).toMatchObject({ code: 0, signal: null });
    expect(apiEnding.ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    expect(api.output).toMatch(/api stopped/);
    // The worker may wait out its timeout for jobs whose writes wait for Redis; then it exits 0.
    expect(workerEnding).toMatchObject({ code: 0, signal: null });
    expect(workerEnding.ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS + 2000);
    // Read before the kill: the restarted API counts from zero.
    expectBatched(atKill, 'before the kill');
    expect(result.unexpected).toEqual([]);
    expect(result.unavailable.malformed).toBe(0);

    await rig.restartRedis();
    await Promise.all([rig.pipeline.restartApi(), rig.pipeline.startWorker()]);
    const audit = await rig.auditor.auditWhenDrained(result.accepted);
    expect(audit).toMatchObject({ accepted: result.acceptedCount, missing: [], duplicated: [], notCompleted: [] });
    expect(audit.queue).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    expect(audit.unacknowledged).toBeLessThanOrEqual(result.unavailable.count + result.transportErrors.length);
  });
});
