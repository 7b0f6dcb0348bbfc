import { MESSAGE_JOB_NAME, type MessageJob } from '@msgpipe/shared';
import { describe, expect, it } from 'vitest';
import { pipelinePerTest } from './pipeline.fixture.js';
import type { Responder } from './responders/responder.js';

const newPipeline = pipelinePerTest();

/** Answers every message, counting the calls: a malformed job must not reach it. */
function counting(): Responder & { calls: number } {
  return {
    calls: 0,
    async respond(message) {
      this.calls++;
      return `ok: ${message}`;
    },
  };
}

const wellFormed = (id: string): MessageJob => ({ id, ip: '192.0.2.80', message: 'hello', sendTime: new Date().toISOString() });

/**
 * Job data of format 1 as anyone who can add a job could write it (the dashboard's "add job" and
 * "edit data", or a Redis client), each under its own job id.
 */
const malformed: Array<[string, (id: string) => unknown, RegExp]> = [
  ['an address that is not one', (id) => ({ ...wellFormed(id), ip: 'somewhere' }), /^invalid job data: ip: /],
  ['an address not in its normalized form', (id) => ({ ...wellFormed(id), ip: '2001:DB8::1' }), /^invalid job data: ip: /],
  ['no message', (id) => ({ ...wellFormed(id), message: undefined }), /^invalid job data: message: /],
  ['a message that is not text', (id) => ({ ...wellFormed(id), message: 42 }), /^invalid job data: message: /],
  ['a send time that is not one', (id) => ({ ...wellFormed(id), sendTime: 'yesterday' }), /^invalid job data: sendTime: /],
  ['an id with a key separator', (id) => ({ ...wellFormed(id), id: `${id}:x` }), /^invalid job data: id: /],
  ['an id that is not the job’s', (id) => ({ ...wellFormed(id), id: `${id}-other` }), /^invalid job data: id: .*not the job's id/],
  ['a field of no format we know', (id) => ({ ...wellFormed(id), v: 3 }), /^invalid job data: .*"v"/],
  ['no object at all', () => 'hello', /^invalid job data: /],
];

describe('a job of one message (format 1) is checked before anything is written', () => {
  it.each(malformed)('fails a job with %s, with a clear error, writing nothing and calling no responder', async (_, data, reason) => {
    const pipeline = newPipeline();
    const responder = counting();
    const worker = pipeline.startWorker({ responder });
    const id = `bad-${Math.random().toString(36).slice(2)}`;
    await pipeline.queue.add(MESSAGE_JOB_NAME, data(id) as MessageJob, { jobId: id });

    expect(await pipeline.finished({ id })).toBe('failed');
    const job = await pipeline.queue.getJob(id);
    expect(job?.failedReason).toMatch(reason);
    // Failed at once: an UnrecoverableError, not one attempt of twenty.
    expect(job?.attemptsMade).toBe(1);
    expect(responder.calls).toBe(0);
    // No history, guard or counter of any address: only BullMQ's own keys, and the worker's
    // in-flight count, which is about the process.
    const written = await pipeline.connection.keys(`${pipeline.config.redis.prefix}:*`);
    const inFlight = pipeline.keys.workerInFlight(worker.name);
    expect(written.filter((key) => !key.startsWith(`${pipeline.config.redis.prefix}:{messages}:`) && key !== inFlight)).toEqual([]);
  });

  it('still answers well-formed jobs, one with the attempts it had in a batch', async () => {
    const pipeline = newPipeline();
    const responder = counting();
    pipeline.startWorker({ responder });
    const fine = wellFormed(`fine-${Math.random().toString(36).slice(2)}`);
    const handedOn = { ...wellFormed(`handed-${Math.random().toString(36).slice(2)}`), attemptsBefore: 1 };
    await pipeline.queue.add(MESSAGE_JOB_NAME, fine, { jobId: fine.id });
    await pipeline.queue.add(MESSAGE_JOB_NAME, handedOn, { jobId: handedOn.id });

    expect(await pipeline.finished(fine)).toBe('completed');
    expect(await pipeline.finished(handedOn)).toBe('completed');
    expect((await pipeline.historyOf('192.0.2.80')).map((entry) => entry.status)).toEqual(['completed', 'completed']);
    expect(responder.calls).toBe(2);
  });
});
