import { clientIps, waitFor } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoad, summarize } from '../load.js';
import { describeGrouping, expectBatched, FaultRig } from './rig.js';

const IPS = clientIps(58, 20);
const TOTAL = 3000;

/**
 * A 503 during a stall does not say whether the enqueue landed: Redis may run it when it
 * resumes. Clients that retry with an Idempotency-Key must still get each message answered
 * once, and every 503 must come within 2 s.
 */
describe('retrying clients with Idempotency-Key across a Redis stall', () => {
  let rig: FaultRig;
  beforeAll(async () => {
    rig = await FaultRig.start({ label: 'idem-stall', workers: 1 });
  });
  afterAll(() => rig?.stop());

  it('records each keyed message once, however often it was retried', async () => {
    const load = startLoad({
      baseUrl: rig.baseUrl,
      ips: IPS,
      total: TOTAL,
      concurrency: 30,
      idempotencyKeys: true,
      retry: { delayMs: 200, forMs: 60_000 },
    });
    await waitFor('a quarter of the messages accepted', () => load.progress.accepted >= TOTAL / 4);
    const atStall = await rig.grouping();
    rig.redis.signal('SIGSTOP');
    await waitFor('clients to meet 503s', () => load.progress.unavailable >= 30);
    rig.redis.signal('SIGCONT');
    const result = await load.done;
    console.info(`idempotent retries across a stall: ${summarize(result)}; before the stall ${describeGrouping(atStall)}, in all ${describeGrouping(await rig.grouping())}`);

    // Thirty clients sending at once keep the API batching: the stall hits batches on their way.
    expectBatched(atStall, 'before the stall');
    expect(result.unexpected).toEqual([]);
    expect(result.unavailable).toMatchObject({ malformed: 0 });
    expect(result.unavailable.maxLatencyMs).toBeLessThan(2000);
    const audit = await rig.auditor.auditWhenDrained(result.accepted);
    expect(audit).toMatchObject({ missing: [], duplicated: [], repeatedTexts: 0, unacknowledged: 0 });
  });
});
