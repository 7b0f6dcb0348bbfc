import { clientIps } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeGrouping, FaultRig } from './faults/rig.js';
import { startLoad, summarize } from './load.js';

const IPS = clientIps(58, 40);
const TOTAL = 2000;

// The built API and two workers with group commit on: under load the API sends batch jobs and
// the workers answer each message once.
describe('group commit end to end (ENQUEUE_BATCH_MAX=50)', () => {
  let rig: FaultRig;
  beforeAll(async () => {
    rig = await FaultRig.start({ label: 'group-commit', workers: 2, env: { ENQUEUE_BATCH_MAX: '50' } });
  });
  afterAll(async () => {
    await rig?.stop();
  });

  it('batches messages under load and answers every one exactly once', async () => {
    const result = await startLoad({ baseUrl: rig.baseUrl, ips: IPS, total: TOTAL, concurrency: 64 }).done;
    console.info(`group commit: ${summarize(result)}`);
    expect(result.statuses).toEqual({ 202: TOTAL });

    const audit = await rig.auditor.auditWhenDrained(result.accepted);
    expect(audit).toMatchObject({ accepted: TOTAL, missing: [], duplicated: [], notCompleted: [], unacknowledged: 0 });
    expect(audit.queue).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });

    const grouping = await rig.grouping();
    console.info(`group commit: ${describeGrouping(grouping)}`);
    expect(grouping.messages).toBe(TOTAL);
    expect(grouping.jobs).toBeLessThan(TOTAL);
  });
});
