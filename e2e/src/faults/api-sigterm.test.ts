import { clientIps, request, waitFor } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoad, summarize } from '../load.js';
import { describeGrouping, expectBatched, FaultRig } from './rig.js';
import { SlowUpstream } from './slow-upstream.js';

const IPS = clientIps(57, 20);
const SHUTDOWN_TIMEOUT_MS = 10_000;
/** Every POST waits for its answer (?wait), which takes this long: requests are in flight at the signal. */
const CALL_MS = 400;

describe('SIGTERM of the API under load', () => {
  let rig: FaultRig;
  let upstream: SlowUpstream;

  beforeAll(async () => {
    upstream = await SlowUpstream.start(CALL_MS);
    rig = await FaultRig.start({
      label: 'api-sigterm',
      workers: 1,
      env: {
        ...upstream.responderEnv,
        WORKER_CONCURRENCY: '50',
        SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      },
    });
  });
  afterAll(async () => {
    await rig?.stop();
    await upstream?.close();
  });

  it('stops accepting connections, answers the requests in flight, exits 0; every answered message is kept', async () => {
    const api = rig.api;
    const load = startLoad({ baseUrl: rig.baseUrl, ips: IPS, total: 1000, concurrency: 50, perSecond: 100, burst: 20, waitMs: 5000 });
    await waitFor('requests in flight mid-load', () => load.progress.accepted >= 100 && load.progress.sent - load.progress.answered >= 5, { intervalMs: 5 });

    const atSignal = await rig.grouping();
    const signalAt = Date.now();
    api.child.kill('SIGTERM');
    const refusedWhileDraining = await waitFor(
      'a new connection refused',
      async () => {
        const refused = await request(rig.baseUrl, '/healthz', { timeoutMs: 2000 }).then(
          () => false,
          (error: NodeJS.ErrnoException) => error.code === 'ECONNREFUSED',
        );
        return refused && { apiRunning: api.running };
      },
      { intervalMs: 5 },
    );
    const ending = await api.exited;
    const stoppedInMs = Date.now() - signalAt;
    const result = await load.stop();
    console.info(
      `api SIGTERM: ${summarize(result)}; ${result.acceptedSpanning(signalAt)} requests answered after the signal, before it ${describeGrouping(atSignal)}, exit after ${stoppedInMs} ms, refused new connections ${refusedWhileDraining.apiRunning ? 'while still draining' : 'once gone'}`,
    );

    expectBatched(atSignal, 'before the signal');
    expect(ending).toEqual({ code: 0, signal: null });
    expect(stoppedInMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    expect(api.output).toMatch(/api stopped/);
    expect(result.acceptedSpanning(signalAt), 'requests in flight at the signal, answered').toBeGreaterThan(0);
    expect(result.unexpected).toEqual([]);
    expect(result.unavailable.answeredAt.map((at) => at - signalAt), '503s, ms after the signal').toEqual([]);
    // Only connections the API no longer takes: refused (or reset before being read).
    expect(result.transportErrors.filter((error) => error.code !== 'ECONNREFUSED' && error.code !== 'ECONNRESET')).toEqual([]);

    const audit = await rig.auditor.auditWhenDrained(result.accepted);
    expect(audit).toMatchObject({ accepted: result.acceptedCount, missing: [], duplicated: [], notCompleted: [] });
    expect(audit.queue).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    // No request was cut off after its message was enqueued: whatever Redis took, the client heard about.
    expect(audit.unacknowledged).toBe(0);
  });
});
