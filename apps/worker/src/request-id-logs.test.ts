import { BATCH_FORMAT, createLogger, MESSAGE_JOB_NAME, type BatchJob, type MessageJob, type MessageJobData } from '@msgpipe/shared';
import { waitFor } from '@msgpipe/testkit';
import type { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { pipelinePerTest } from './pipeline.fixture.js';
import { PermanentResponderError } from './responders/errors.js';

const newPipeline = pipelinePerTest();

/** A worker whose JSON log lines (debug and up) the test reads. */
function loggedWorker(env: Record<string, string> = {}, fail = false) {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ name: 'worker-test', level: 'debug', pretty: false, destination: { write: (line: string) => lines.push(JSON.parse(line)) } });
  const pipeline = newPipeline({ RESPONDER_ATTEMPTS: '1', ...env });
  const responder = {
    async respond(message: string) {
      if (fail) throw new PermanentResponderError('refused', { detail: 'the upstream said no' });
      return `re: ${message}`;
    },
  };
  pipeline.startWorker({ logger, responder });
  return { pipeline, lines };
}

const message = (id: string, extra: Partial<MessageJob> = {}): MessageJob => ({ id, ip: '198.51.100.7', message: `hello ${id}`, sendTime: new Date().toISOString(), ...extra });

const lineAbout = (lines: Array<Record<string, unknown>>, msg: string, id: string) =>
  waitFor(`a "${msg}" line for ${id}`, () => lines.find((line) => line.msg === msg && line.id === id));

describe("the request id in the worker's log lines about a message", () => {
  it('is on the line of a message answered (at debug), alone or in a batch', async () => {
    const { pipeline, lines } = loggedWorker();
    await pipeline.queue.add(MESSAGE_JOB_NAME, message('alone-1', { requestId: 'req-alone' }), { jobId: 'alone-1' });
    const batch: BatchJob = { v: BATCH_FORMAT, messages: [message('batch-1', { requestId: 'req-b1' }), message('batch-2', { requestId: 'req-b2' }), message('batch-3')] };
    await (pipeline.queue as Queue<MessageJobData>).add(MESSAGE_JOB_NAME, batch, { jobId: 'batch' });

    expect(await lineAbout(lines, 'message answered', 'alone-1')).toMatchObject({ requestId: 'req-alone', level: 20 });
    expect(await lineAbout(lines, 'message answered', 'batch-1')).toMatchObject({ requestId: 'req-b1' });
    expect(await lineAbout(lines, 'message answered', 'batch-2')).toMatchObject({ requestId: 'req-b2' });
    // A message enqueued without one (an older API) is answered as ever, its line without one.
    expect((await lineAbout(lines, 'message answered', 'batch-3')).requestId).toBeUndefined();
  });

  it('is on the warning of a message that failed for good, alone or in a batch', async () => {
    const { pipeline, lines } = loggedWorker({}, true);
    await pipeline.queue.add(MESSAGE_JOB_NAME, message('alone-2', { requestId: 'req-failed' }), { jobId: 'alone-2' });
    const batch: BatchJob = { v: BATCH_FORMAT, messages: [message('batch-4', { requestId: 'req-b4' }), message('batch-5', { requestId: 'req-b5' })] };
    await (pipeline.queue as Queue<MessageJobData>).add(MESSAGE_JOB_NAME, batch, { jobId: 'batch-f' });

    expect(await lineAbout(lines, 'message failed for good', 'alone-2')).toMatchObject({ requestId: 'req-failed', level: 40 });
    expect(await lineAbout(lines, 'message of a batch failed for good', 'batch-4')).toMatchObject({ requestId: 'req-b4' });
    // Handed on alone, it keeps its request id: its own job's line says it again.
    expect(await lineAbout(lines, 'message failed for good', 'batch-5')).toMatchObject({ requestId: 'req-b5' });
  });
});
