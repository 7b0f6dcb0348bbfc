import { API_MAIN, childEnv, NodeProcess, postMessage, request, startPipeline, testRedisUrl, waitFor, WORKER_MAIN, type Pipeline } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLIENTS = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'];
const MESSAGES_PER_CLIENT = 20;

describe('the pipeline, end to end: real API and worker processes', () => {
  let pipeline: Pipeline;
  let baseUrl: string;

  beforeAll(async () => {
    pipeline = await startPipeline({ redis: testRedisUrl(), workers: 2, label: 'e2e' });
    baseUrl = pipeline.baseUrl;
  });

  afterAll(async () => {
    await pipeline?.kill();
  });

  it('answers every message from many clients, each in its own history, exactly once', async () => {
    const sent = await Promise.all(
      CLIENTS.flatMap((ip) =>
        Array.from({ length: MESSAGES_PER_CLIENT }, async (_, n) => {
          const response = await postMessage(baseUrl, `hello number ${n}`, { localAddress: ip });
          expect(response.status).toBe(202);
          expect(response.json().ip).toBe(ip);
          return { ip, id: response.json().id as string };
        }),
      ),
    );

    for (const ip of CLIENTS) {
      const expected = sent.filter((message) => message.ip === ip).map((message) => message.id).sort();
      const history = await waitFor(`all of ${ip}'s messages in its history`, async () => {
        const body = (await request(baseUrl, '/v1/history?limit=100', { localAddress: ip })).json();
        return body.messages.length >= MESSAGES_PER_CLIENT && body;
      });
      expect(history.ip).toBe(ip);
      expect(history.messages.map((message: { id: string }) => message.id).sort()).toEqual(expected);
      for (const message of history.messages) {
        expect(message).toMatchObject({ status: 'completed', response: `Hello, user from ${ip}!` });
      }
    }

    const { ip, id } = sent[0]!;
    const message = (await request(baseUrl, `/v1/messages/${id}`, { localAddress: ip })).json();
    expect(message).toMatchObject({ id, ip, status: 'completed', response: `Hello, user from ${ip}!` });
  });

  it('stops the API and the workers cleanly on SIGTERM (exit code 0)', async () => {
    const endings = await Promise.all(pipeline.processes.map((process) => process.stop('SIGTERM')));
    expect(endings).toEqual(endings.map(() => ({ code: 0, signal: null })));
    expect(pipeline.api.output).toMatch(/api stopped/);
  });
});

describe('configuration errors stop the process', () => {
  it.each([
    [API_MAIN, 'PORT', 'not-a-port'],
    [WORKER_MAIN, 'WORKER_CONCURRENCY', '0'],
  ])('%s with %s=%s exits with a message naming the variable', async (script, name, value) => {
    const process = new NodeProcess(script, childEnv({ REDIS_URL: testRedisUrl(), [name]: value }));
    const { code } = await process.exited;
    expect(code).not.toBe(0);
    expect(process.output).toContain(name);
    expect(process.output).toMatch(/Invalid configuration/);
  });
});
