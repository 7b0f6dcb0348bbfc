import { MESSAGE_JOB_NAME, queueName, type HistoryEntry } from '@msgpipe/shared';
import { postMessage, request, testRedisUrl, waitFor } from '@msgpipe/testkit';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../test/api.fixture.js';

let api: RunningApi;
beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.close());

const getMessage = (id: string, localAddress = '127.0.0.1') => request(api.baseUrl, `/v1/messages/${id}`, { localAddress });

async function send(message: string, localAddress: string): Promise<{ id: string; sendTime: string }> {
  const response = await postMessage(api.baseUrl, message, { localAddress });
  expect(response.status).toBe(202);
  return response.json();
}

describe('GET /v1/messages/{id}', () => {
  it('shows a waiting message as queued, to its sender', async () => {
    const { id, sendTime } = await send('still waiting', '127.0.0.41');
    const response = await getMessage(id, '127.0.0.41');
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({ id, status: 'queued', message: 'still waiting', ip: '127.0.0.41', sendTime });
  });

  it('answers 404 to anyone but the sender', async () => {
    const { id } = await send('private', '127.0.0.42');
    const response = await getMessage(id, '127.0.0.43');
    expect(response.status).toBe(404);
    expect(response.json().error.code).toBe('not_found');
  });

  it('answers 404 for unknown and malformed ids', async () => {
    expect((await getMessage('AAAAAAAAAAAAAAAAAAAAAA')).json().error.code).toBe('not_found');
    expect((await getMessage('not-an-id')).status).toBe(404);
    expect((await getMessage('..%2F..%2Fetc')).status).toBe(404);
  });

  it('shows processing while a worker holds the job', async () => {
    const { id } = await send('slow one', '127.0.0.44');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const connection = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
    // Concurrency above the number of queued jobs, so ours is taken whatever else waits.
    const worker = new Worker(queueName(0), () => gate, { connection, prefix: api.queues.queues[0]!.opts.prefix, concurrency: 50 });
    try {
      await waitFor('the job to be active', async () => (await getMessage(id, '127.0.0.44')).json().status === 'processing');
    } finally {
      release();
      await worker.close();
      connection.disconnect();
    }
  });

  it('reads a finished message from the history after BullMQ has removed its job', async () => {
    const { id, sendTime } = await send('done already', '127.0.0.45');
    const entry: HistoryEntry = {
      id,
      message: 'done already',
      sendTime,
      status: 'completed',
      response: 'Hello!',
      respondedAt: new Date().toISOString(),
    };
    await api.recorder.record('127.0.0.45', entry);
    await api.queues.queues[0]!.remove(id);
    expect(await api.queues.queues[0]!.getJob(id)).toBeUndefined();

    const response = await getMessage(id, '127.0.0.45');
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({ ...entry, ip: '127.0.0.45' });
  });

  it('shows a failed message with its error', async () => {
    const id = 'FailedMessageId0000000';
    const entry: HistoryEntry = {
      id,
      message: 'doomed',
      sendTime: new Date().toISOString(),
      status: 'failed',
      error: 'responder said no',
      respondedAt: new Date().toISOString(),
    };
    await api.recorder.record('127.0.0.46', entry);
    const body = (await getMessage(id, '127.0.0.46')).json();
    expect(body).toMatchObject({ id, status: 'failed', error: 'responder said no' });
    expect(body.response).toBeUndefined();
  });

  it('does not reveal a job of another IP even when it sits in the same queue', async () => {
    const queue = api.queues.queues[0]!;
    await queue.add(MESSAGE_JOB_NAME, { id: 'OtherIpJob000000000000', ip: '10.9.9.9', message: 'x', sendTime: new Date().toISOString() }, { jobId: 'OtherIpJob000000000000' });
    expect((await getMessage('OtherIpJob000000000000', '127.0.0.47')).status).toBe(404);
  });
});
