import { asAdmin, openEventStream, postMessage, request, startPipeline, testRedisUrl, waitFor, type Pipeline } from '@msgpipe/testkit';
import { FailureReason, MAX_STALLED_COUNT } from '@msgpipe/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedUpstream } from './scripted-upstream.js';

/**
 * A poison message: every worker that takes it dies (kill -9) while answering it. The built API
 * and worker processes, a real webhook upstream that holds the call, and short locks so each
 * death is noticed within a few seconds.
 */
describe('a message whose worker dies every time it answers it', () => {
  let upstream: ScriptedUpstream;
  let pipeline: Pipeline;

  beforeAll(async () => {
    upstream = await ScriptedUpstream.start();
    pipeline = await startPipeline({
      redis: testRedisUrl(),
      label: 'poison',
      env: { ...upstream.responderEnv, RESPONSE_CACHE_TTL_SECONDS: '0', JOB_LOCK_MS: '1000' },
    });
  });
  afterAll(async () => {
    await pipeline?.kill();
    await upstream?.close();
  });

  it('ends failed once BullMQ gives up on it: in the history, on the stream, and for GET, instead of unknown', async () => {
    const ip = '127.0.0.75';
    const events = await openEventStream(pipeline.baseUrl, '/v1/stream', { localAddress: ip });
    try {
      const accepted = await postMessage(pipeline.baseUrl, 'hold poison', { localAddress: ip });
      expect(accepted.status).toBe(202);
      const id = accepted.json().id as string;

      // Each worker takes it (after the last one's lock ran out), calls the upstream, and dies.
      for (let death = 1; death <= MAX_STALLED_COUNT + 1; death++) {
        await waitFor(`call ${death} about the poison message`, () => upstream.callsFor(id).length === death);
        await pipeline.workers.at(-1)!.stop('SIGKILL');
        await pipeline.startWorker();
      }

      // The last worker finds BullMQ's verdict (stalled more than allowed) and ends the message.
      const [event] = await events.take(1);
      expect(event!.id).toBe(id);
      const failure = { id, ip, status: 'failed', message: 'hold poison', error: FailureReason.abandoned };
      expect(JSON.parse(event!.data)).toMatchObject(failure);
      const shown = await request(pipeline.baseUrl, `/v1/messages/${id}`, { localAddress: ip });
      expect(shown.status).toBe(200);
      expect(shown.json()).toMatchObject(failure);
      const history = (await request(pipeline.baseUrl, '/v1/history', { localAddress: ip })).json();
      expect(history.messages).toEqual([expect.objectContaining({ id, status: 'failed' })]);
      expect(upstream.callsFor(id)).toHaveLength(MAX_STALLED_COUNT + 1);
      const stats = (await request(pipeline.baseUrl, '/v1/stats', { headers: asAdmin })).json();
      expect(stats.topSenders).toContainEqual({ ip, count: 1 });
      expect(stats.queue.failed).toBe(1);
    } finally {
      events.close();
    }
  });
});
