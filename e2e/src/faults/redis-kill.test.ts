import { clientIps, waitFor } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoad, summarize } from '../load.js';
import { describeGrouping, expectBatched, FaultRig } from './rig.js';

const IPS = clientIps(52, 20);
const FILE_LABEL = 'redis kill -9';
const TOTAL = 1000;

describe('kill -9 of Redis (appendfsync always) during 1,000 messages, then redis-server again on the same port and dir', () => {
  let rig: FaultRig;

  beforeAll(async () => {
    rig = await FaultRig.start({ label: 'redis-kill', workers: 2, redisSettings: { appendonly: 'yes', appendfsync: 'always' } });
  });
  afterAll(() => rig?.stop());

  it('keeps every 202 and completes each exactly once; API and workers reconnect by themselves', async () => {
    const [api, ...workers] = [rig.api, ...rig.workers];
    const load = startLoad({ baseUrl: rig.baseUrl, ips: IPS, total: TOTAL, concurrency: 20, perSecond: 250, burst: 20 });
    await waitFor('a third of the load accepted', () => load.progress.accepted >= TOTAL / 3);

    const atKill = await rig.grouping();
    rig.redis.signal('SIGKILL');
    await rig.redis.exited;
    const refusedBefore = load.progress.unavailable;
    await waitFor('the API refusing while Redis is gone', () => load.progress.unavailable > refusedBefore);
    await rig.restartRedis();
    const acceptedAtRestart = load.progress.accepted;
    await waitFor('the API accepting again', () => load.progress.accepted > acceptedAtRestart);

    const result = await load.done;
    console.info(`${FILE_LABEL}: ${summarize(result)}; before the kill ${describeGrouping(atKill)}, in all ${describeGrouping(await rig.grouping())}`);
    // The 202s that must survive the kill went in batches, most of them.
    expectBatched(atKill, 'before the kill');
    expect(load.progress.accepted - acceptedAtRestart, 'accepted after the restart').toBeGreaterThan(0);
    expect(result.unavailable.count, 'refused while Redis was down').toBeGreaterThan(0);
    expect(result.unavailable.malformed).toBe(0);
    expect(result.unexpected).toEqual([]);
    expect(result.transportErrors).toEqual([]);
    expect(result.acceptedCount + result.unavailable.count).toBe(TOTAL);

    const audit = await rig.auditor.auditWhenDrained(result.accepted);
    expect(audit).toMatchObject({ accepted: result.acceptedCount, missing: [], duplicated: [], notCompleted: [] });
    expect(audit.queue).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    // An add Redis ran while its client was being told 503 can exist only for a refused request.
    expect(audit.unacknowledged).toBeLessThanOrEqual(result.unavailable.count);
    // Nobody was restarted: the same processes reconnected.
    for (const process of [api, ...workers]) expect(process!.running).toBe(true);
  });
});
