import { clientIps, waitFor } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoad, summarize } from '../load.js';
import { describeGrouping, expectBatched, FaultRig, idsByIp } from './rig.js';
import { SlowUpstream } from './slow-upstream.js';

const IPS = clientIps(56, 20);
const TOTAL = 600;
const SHUTDOWN_TIMEOUT_MS = 10_000;
/** Each responder call takes this long, so the worker always has calls in flight under load. */
const CALL_MS = 300;

describe('SIGTERM of a worker under load', () => {
  let rig: FaultRig;
  let upstream: SlowUpstream;

  beforeAll(async () => {
    upstream = await SlowUpstream.start(CALL_MS);
    rig = await FaultRig.start({
      label: 'worker-sigterm',
      workers: 1,
      env: {
        ...upstream.responderEnv,
        SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      },
    });
  });
  afterAll(async () => {
    await rig?.stop();
    await upstream?.close();
  });

  it('stops taking jobs, finishes those in flight, exits 0; a new worker finishes the rest, once each', async () => {
    const load = startLoad({ baseUrl: rig.baseUrl, ips: IPS, total: TOTAL, concurrency: 20, perSecond: 200, burst: 20 });
    const [worker] = rig.workers;
    const jobsAtSignal = await waitFor('the worker busy with calls in flight, a batch among its jobs', async () => {
      if (upstream.inFlight().length < 10 || load.progress.accepted < TOTAL / 4) return false;
      const jobs = await rig.activeJobMessages();
      return jobs.some((messages) => messages.length > 1) && jobs;
    });
    const signalAt = Date.now();
    const inFlightAtSignal = upstream.inFlight();
    worker!.child.kill('SIGTERM');
    const ending = await worker!.exited;
    const stoppedInMs = Date.now() - signalAt;
    expect(ending).toEqual({ code: 0, signal: null });
    expect(stoppedInMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    expect(worker!.output).toMatch(/worker stopped/);

    // Everything the worker had taken is finished and written, its batches' messages not yet
    // called at the signal too; nothing is left to stalled-job recovery; the rest of the load
    // is still waiting for a worker.
    const inFlight = new Map<string, string[]>();
    for (const call of inFlightAtSignal) inFlight.set(call.ip, [...(inFlight.get(call.ip) ?? []), call.id]);
    const atExit = await rig.auditor.audit(inFlight);
    expect(atExit).toMatchObject({ missing: [], duplicated: [], notCompleted: [] });
    expect(jobsAtSignal.filter((messages) => messages.length > 1).length, 'batches the worker held at the signal').toBeGreaterThan(0);
    expect(await rig.auditor.audit(idsByIp(jobsAtSignal.flat())), 'the jobs it held at the signal, at its exit').toMatchObject({ missing: [], duplicated: [], notCompleted: [] });
    expect(upstream.inFlight(), 'calls the worker abandoned').toEqual([]);
    expect(atExit.queue.active, 'jobs left to stalled-job recovery').toBe(0);
    expect(atExit.queue.waiting, 'work left for another worker').toBeGreaterThan(0);
    const takenAfterSignal = upstream.calls.filter((call) => call.at > signalAt).length;

    await rig.pipeline.startWorker();
    const result = await load.done;
    const grouping = await rig.grouping();
    console.info(
      `worker SIGTERM: ${summarize(result)}; ${describeGrouping(grouping)}; ${inFlightAtSignal.length} calls in flight at the signal in jobs of ${jobsAtSignal.map((messages) => messages.length).join(', ')} messages, ${takenAfterSignal} started after it, exit after ${stoppedInMs} ms`,
    );
    expect(result.acceptedCount).toBe(TOTAL);
    expectBatched(grouping, 'in the load');
    const audit = await rig.auditor.auditWhenDrained(result.accepted);
    expect(audit).toMatchObject({ accepted: TOTAL, missing: [], duplicated: [], notCompleted: [], unacknowledged: 0 });
    expect(audit.queue).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    // Each message reached the responder once: none was taken by both workers.
    expect(new Set(upstream.calls.map((call) => call.id)).size).toBe(upstream.calls.length);
  });
});

describe('SIGTERM of a worker whose jobs outlast SHUTDOWN_TIMEOUT_MS', () => {
  const SHORT_TIMEOUT_MS = 500;
  const TIMEOUT_TOTAL = 100;
  let rig: FaultRig;
  let upstream: SlowUpstream;

  beforeAll(async () => {
    upstream = await SlowUpstream.start(3000);
    rig = await FaultRig.start({
      label: 'worker-sigterm-timeout',
      workers: 1,
      env: {
        ...upstream.responderEnv,
        SHUTDOWN_TIMEOUT_MS: String(SHORT_TIMEOUT_MS),
        // More than the load's messages: the worker takes every job at once, so whatever
        // batches the API made are among the jobs it abandons.
        WORKER_CONCURRENCY: String(TIMEOUT_TOTAL),
      },
    });
  });
  afterAll(async () => {
    await rig?.stop();
    await upstream?.close();
  });

  it('exits 0 once the timeout is up, and its unfinished jobs run again on another worker, once each', async () => {
    // Every message at once: while the first is enqueued the rest arrive, so batches form however
    // slowly a busy machine serves them (bursts of 20 made none in one full run).
    const result = await startLoad({ baseUrl: rig.baseUrl, ips: IPS, total: TIMEOUT_TOTAL, concurrency: TIMEOUT_TOTAL }).done;
    expect(result.acceptedCount).toBe(TIMEOUT_TOTAL);
    const [worker] = rig.workers;
    await waitFor('the worker stuck in slow calls, every message', () => upstream.inFlight().length >= TIMEOUT_TOTAL);
    const jobsAtSignal = await rig.activeJobMessages();
    const signalAt = Date.now();
    const abandoned = upstream.inFlight();
    worker!.child.kill('SIGTERM');
    const ending = await worker!.exited;
    const stoppedInMs = Date.now() - signalAt;
    expect(ending).toEqual({ code: 0, signal: null });
    // It waited out the timeout for its jobs, then stopped, well before its calls could finish.
    expect(stoppedInMs).toBeGreaterThanOrEqual(SHORT_TIMEOUT_MS);
    expect(stoppedInMs).toBeLessThan(abandoned[0]!.at + 3000 - signalAt);
    expect(worker!.output).toMatch(/leaving them to stalled-job recovery/);

    expect(jobsAtSignal.filter((messages) => messages.length > 1).length, 'batches the worker held at the signal').toBeGreaterThan(0);

    upstream.delayMs = 10;
    await rig.pipeline.startWorker();
    const audit = await rig.auditor.auditWhenDrained(result.accepted);
    console.info(
      `worker SIGTERM past its timeout: ${describeGrouping(await rig.grouping())}; exit after ${stoppedInMs} ms, ${abandoned.length} calls abandoned and run again, from jobs of ${jobsAtSignal.map((messages) => messages.length).join(', ')} messages`,
    );
    expect(audit).toMatchObject({ accepted: TIMEOUT_TOTAL, missing: [], duplicated: [], notCompleted: [], unacknowledged: 0 });
    expect(audit.queue).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    // What the stopped worker left unfinished was called again (stalled-job recovery), and written once.
    for (const { id } of abandoned) expect(upstream.calls.filter((call) => call.id === id).length, id).toBe(2);
  });
});
