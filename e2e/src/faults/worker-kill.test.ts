import type { MessageJob } from '@msgpipe/shared';
import { clientIps, waitFor, type NodeProcess } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoad, summarize } from '../load.js';
import { describeGrouping, expectBatched, FaultRig } from './rig.js';
import { SlowUpstream } from './slow-upstream.js';

const IPS = clientIps(51, 30);
const FILE_LABEL = 'worker kill -9';
const TOTAL = 3000;

/** A BullMQ lock token is `<worker id>:<n>`: the part before the colon names the worker instance. */
const workerOf = (token: string | undefined) => token?.split(':')[0];

describe('kill -9 of one of two workers during 3,000 messages', () => {
  let rig: FaultRig;
  let upstream: SlowUpstream;

  beforeAll(async () => {
    // Each answer takes 50 ms, so each worker holds about ten jobs at any moment.
    upstream = await SlowUpstream.start(50);
    rig = await FaultRig.start({
      label: 'worker-kill',
      workers: 2,
      env: upstream.responderEnv,
    });
  });
  afterAll(async () => {
    await rig?.stop();
    await upstream?.close();
  });

  /**
   * Freezes `victim` until it is caught holding jobs, a batch among them: with the victim
   * stopped, the other worker keeps taking new jobs (revealing its own lock token), so the jobs
   * active at the freeze under any other token are the victim's. They stay active until their
   * 2 s lock runs out. Returns the messages each held job carries (a batch's job id is no
   * message's id).
   */
  async function freezeHoldingBatches(victim: NodeProcess): Promise<MessageJob[][]> {
    return waitFor(
      'the victim worker frozen while it holds jobs, a batch among them',
      async () => {
        victim.child.kill('SIGSTOP');
        const atFreeze = await rig.auditor.activeJobs();
        const survivor = await waitFor(
          "a job taken by the other worker after the freeze",
          async () => {
            for (const [id, token] of await rig.auditor.activeJobs()) if (!atFreeze.has(id) && token) return workerOf(token);
            return undefined;
          },
          { timeoutMs: 1500, intervalMs: 5 },
        ).catch(() => undefined);
        const stillActive = await rig.auditor.activeJobs();
        const held = [...atFreeze].filter(([id, token]) => token && workerOf(token) !== survivor && stillActive.get(id) === token).map(([id]) => id);
        const heldMessages = await rig.messagesOfJobs(held);
        if (survivor && heldMessages.some((messages) => messages.length > 1)) return heldMessages;
        victim.child.kill('SIGCONT');
        return false;
      },
      { intervalMs: 50 },
    );
  }

  it('loses nothing and duplicates nothing; the killed worker’s jobs run again, once', async () => {
    const load = startLoad({ baseUrl: rig.baseUrl, ips: IPS, total: TOTAL, concurrency: 16, perSecond: 400, burst: 16 });
    await waitFor('a tenth of the load accepted', () => load.progress.accepted >= TOTAL / 10);

    const [victim] = rig.workers;
    const heldAtKill = await freezeHoldingBatches(victim!);
    const killed = await victim!.stop('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    expect(load.progress.sent, 'the kill landed mid-load').toBeLessThan(TOTAL);

    const result = await load.done;
    const grouping = await rig.grouping();
    console.info(
      `${FILE_LABEL}: ${summarize(result)}; ${describeGrouping(grouping)}; the killed worker held ${heldAtKill.length} jobs of ${heldAtKill.map((messages) => messages.length).join(', ')} messages`,
    );
    // The fault spares Redis and the API: every request is accepted.
    expect({ statuses: result.statuses, unexpected: result.unexpected, transportErrors: result.transportErrors }).toEqual({
      statuses: { 202: TOTAL },
      unexpected: [],
      transportErrors: [],
    });

    const audit = await rig.auditor.auditWhenDrained(result.accepted);
    expect(audit).toMatchObject({ accepted: TOTAL, missing: [], duplicated: [], notCompleted: [], unacknowledged: 0 });
    expect(audit.queue).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    // The jobs the killed worker held were recovered by the survivor, each written once (above).
    const acceptedIds = new Set([...result.accepted.values()].flat());
    expect(heldAtKill.length).toBeGreaterThan(0);
    expect(heldAtKill.every((messages) => messages.length > 0), 'every held job found').toBe(true);
    expect(heldAtKill.filter((messages) => messages.length > 1).length, 'batches the killed worker held').toBeGreaterThan(0);
    expectBatched(grouping, 'in the load');
    for (const { id } of heldAtKill.flat()) expect(acceptedIds.has(id), id).toBe(true);
  });
});
