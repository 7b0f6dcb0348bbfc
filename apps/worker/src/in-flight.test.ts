import { Retention } from '@msgpipe/shared';
import { waitFor } from '@msgpipe/testkit';
import { describe, expect, it } from 'vitest';
import { pipelinePerTest } from './pipeline.fixture.js';
import type { Responder } from './responders/responder.js';

const newPipeline = pipelinePerTest();

/** A responder that holds every call until `release()`. */
function held(): Responder & { calls: number; release(): void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  return {
    calls: 0,
    release,
    async respond(message) {
      this.calls++;
      await gate;
      return `echo: ${message}`;
    },
  };
}

describe("a worker process's messages in flight", () => {
  it('counts a batch by its messages and a lone message as one, and publishes the count with a TTL', async () => {
    const pipeline = newPipeline({ WORKER_CONCURRENCY: '10' });
    const responder = held();
    const worker = pipeline.startWorker({ responder, name: 'test-host:4242' });
    await pipeline.enqueueBatch([1, 2, 3].map((n) => ({ message: `batch ${n}`, ip: '192.0.2.40' })));
    const alone = await pipeline.enqueue('alone', '192.0.2.41');
    await waitFor('four responder calls', () => responder.calls === 4);
    expect(worker.inFlight.count).toBe(4);

    const key = pipeline.keys.workerInFlight('test-host:4242');
    // Published at start (0) and then every few seconds: wait for the refresh that sees the four.
    await waitFor('the published count', async () => (await pipeline.connection.get(key)) === '4', { timeoutMs: 3 * Retention.workerInFlightRefreshSeconds * 1000 });
    const ttl = await pipeline.connection.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(Retention.workerInFlightSeconds * 1000);

    responder.release();
    expect(await pipeline.finished(alone)).toBe('completed');
    await waitFor('nothing in flight', () => worker.inFlight.count === 0);
  });

  it('names its BullMQ workers after the process, and removes its count when it stops', async () => {
    const pipeline = newPipeline();
    const worker = pipeline.startWorker({ name: 'test-host:4343' });
    await worker.ready();
    const key = pipeline.keys.workerInFlight('test-host:4343');
    await waitFor('the first count', async () => (await pipeline.connection.get(key)) === '0');
    const clients = await pipeline.queue.getWorkers();
    expect(clients.map((client) => client.rawname)).toContainEqual(expect.stringMatching(/:w:test-host:4343$/));

    await pipeline.stopWorker();
    expect(await pipeline.connection.exists(key)).toBe(0);
  });
});
