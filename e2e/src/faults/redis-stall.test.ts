import { clientIps, request, waitFor } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoad, summarize } from '../load.js';
import { describeGrouping, expectBatched, FaultRig } from './rig.js';

const IPS = clientIps(53, 20);
const TOTAL = 1000;
/** The contract: while Redis is stalled, requests that need it answer 503 within two seconds. */
const CONTRACT_MS = 2000;

describe('SIGSTOP of Redis mid-load, then SIGCONT', () => {
  let rig: FaultRig;

  beforeAll(async () => {
    rig = await FaultRig.start({ label: 'redis-stall', workers: 1 });
  });
  afterAll(() => rig?.stop());

  const timed = async (path: string) => {
    const started = Date.now();
    const response = await request(rig.baseUrl, path);
    return { status: response.status, retryAfter: response.headers['retry-after'], ms: Date.now() - started };
  };

  it('answers 503 within 2 s while stalled (POST and /readyz), accepts again by itself, loses nothing', async () => {
    const load = startLoad({ baseUrl: rig.baseUrl, ips: IPS, total: TOTAL, concurrency: 20, perSecond: 200, burst: 20 });
    await waitFor('a quarter of the load accepted', () => load.progress.accepted >= TOTAL / 4);

    const atStall = await rig.grouping();
    rig.redis.signal('SIGSTOP');
    const readyWhileStalled = await timed('/readyz');
    await waitFor('requests refused while Redis is stalled', () => load.progress.unavailable >= 30);
    const acceptedBeforeResume = load.progress.accepted;
    rig.redis.signal('SIGCONT');
    await waitFor('the API accepting again', () => load.progress.accepted > acceptedBeforeResume);
    const readyAfter = await waitFor('/readyz 200 again', async () => (await timed('/readyz')).status === 200);

    const result = await load.done;
    console.info(`redis SIGSTOP: ${summarize(result)}; before the stall ${describeGrouping(atStall)}, in all ${describeGrouping(await rig.grouping())}`);
    // The load went in batches up to the stall.
    expectBatched(atStall, 'before the stall');
    expect(readyWhileStalled).toMatchObject({ status: 503, retryAfter: '2' });
    expect(readyWhileStalled.ms).toBeLessThan(CONTRACT_MS);
    expect(readyAfter).toBe(true);
    expect(result.unavailable.count).toBeGreaterThanOrEqual(30);
    expect(result.unavailable.maxLatencyMs, 'the slowest 503').toBeLessThan(CONTRACT_MS);
    expect(result.unavailable.malformed).toBe(0);
    expect(result.unexpected).toEqual([]);
    expect(result.transportErrors).toEqual([]);
    expect(result.acceptedCount + result.unavailable.count).toBe(TOTAL);

    const audit = await rig.auditor.auditWhenDrained(result.accepted);
    console.info(`redis SIGSTOP: ${audit.unacknowledged} refused requests were enqueued all the same`);
    expect(audit).toMatchObject({ accepted: result.acceptedCount, missing: [], duplicated: [], notCompleted: [] });
    expect(audit.queue).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    // A stalled Redis runs the commands queued on its socket when it resumes, so a request
    // refused with 503 may still have been enqueued: never more of those than 503s.
    expect(audit.unacknowledged).toBeLessThanOrEqual(result.unavailable.count);
    expect(rig.api.running && rig.workers.every((worker) => worker.running), 'no process restarted').toBe(true);
  });
});
