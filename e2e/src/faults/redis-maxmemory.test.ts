import { clientIps, waitFor } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoad, summarize } from '../load.js';
import { describeGrouping, expectBatched, FaultRig, groupingSince } from './rig.js';

const IPS = clientIps(55, 20);
const TOTAL = 1000;
const FULL_MS = 5000;

describe('Redis maxmemory reached (noeviction) for 5 s mid-load, then raised', () => {
  let rig: FaultRig;

  beforeAll(async () => {
    rig = await FaultRig.start({ label: 'redis-maxmemory', workers: 1, redisSettings: { 'maxmemory-policy': 'noeviction' } });
  });
  afterAll(() => rig?.stop());

  it('answers 503 (never 500) while Redis refuses writes, loses nothing, and drains once memory is raised', async () => {
    const redis = rig.auditor.redis;
    const load = startLoad({ baseUrl: rig.baseUrl, ips: IPS, total: TOTAL, concurrency: 40, perSecond: 200, burst: 40 });
    await waitFor('a quarter of the load accepted', () => load.progress.accepted >= TOTAL / 4);

    // A backlog for the worker to meet the full memory with: frozen, it takes nothing for a while.
    const [worker] = rig.workers;
    worker!.child.kill('SIGSTOP');
    const acceptedAtFreeze = load.progress.accepted;
    const atFreeze = await rig.grouping();
    await waitFor('a backlog while the worker is frozen', () => load.progress.accepted >= acceptedAtFreeze + 100);

    const backlog = groupingSince(await rig.grouping(), atFreeze);

    // Below what Redis already uses: every write is refused with OOM from here on.
    const used = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
    await redis.config('SET', 'maxmemory', String(Math.floor(used / 2)));
    const fullAt = Date.now();
    worker!.child.kill('SIGCONT');
    await worker!.waitForOutput(/OOM/);
    // Full for 5 s: longer than the RESPONDER_ATTEMPTS (5) backed-off retries a refused history
    // write used to get, after which the message failed for good with no history entry.
    await waitFor('memory full for 5 s, refusing requests', () => Date.now() - fullAt >= FULL_MS && load.progress.unavailable >= 30, { intervalMs: 100 });
    await redis.config('SET', 'maxmemory', '0');
    const after = await startLoad({ baseUrl: rig.baseUrl, ips: IPS, total: 200, concurrency: 10 }).done;

    const result = await load.done;
    const oomLines = worker!.output.split('\n').filter((line) => line.includes('OOM'));
    console.info(
      `redis maxmemory: ${summarize(result)}; then ${summarize(after)}; the backlog ${describeGrouping(backlog)}, in all ${describeGrouping(await rig.grouping())}; the worker met OOM ${oomLines.length}× (${oomLines[0]?.slice(0, 160)})`,
    );
    expectBatched(backlog, 'in the backlog the worker met the full memory with');
    expect(after.statuses, 'accepted again once memory is raised').toEqual({ 202: 200 });
    expect(result.unavailable.count).toBeGreaterThanOrEqual(30);
    expect(result.unavailable.malformed).toBe(0);
    expect(result.unexpected, 'no 500 or any other status').toEqual([]);
    expect(result.transportErrors).toEqual([]);
    expect(result.acceptedCount + result.unavailable.count).toBe(TOTAL);

    const all = new Map([...result.accepted].map(([ip, ids]) => [ip, [...ids, ...(after.accepted.get(ip) ?? [])]]));
    const audit = await rig.auditor.auditWhenDrained(all);
    expect(audit).toMatchObject({ accepted: result.acceptedCount + 200, missing: [], duplicated: [], notCompleted: [] });
    expect(audit.queue).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    // Redis refuses an OOM write before running it: a refused message was never enqueued.
    expect(audit.unacknowledged).toBe(0);
    expect(rig.processes.every((process) => process.running), 'no process restarted').toBe(true);
  });
});
