import { freePort } from '@msgpipe/redis-server';
import { postMessage, request, testRedisUrl, uniquePrefix, waitFor } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_MAIN, childEnv, NodeProcess, WORKER_MAIN } from './processes.js';

const CLIENTS = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'];
const MESSAGES_PER_CLIENT = 20;

describe('the pipeline, end to end: real API and worker processes', () => {
  let api: NodeProcess;
  let workers: NodeProcess[];
  let baseUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const env = childEnv({ REDIS_URL: testRedisUrl(), REDIS_PREFIX: uniquePrefix('e2e'), PORT: String(port), HOST: '127.0.0.1' });
    api = new NodeProcess(API_MAIN, env);
    workers = [new NodeProcess(WORKER_MAIN, env), new NodeProcess(WORKER_MAIN, env)];
    await api.waitForOutput(/api listening/);
    await Promise.all(workers.map((worker) => worker.waitForOutput(/worker consuming/)));
  });

  afterAll(async () => {
    await Promise.all([api, ...workers].map((process) => process?.stop('SIGKILL')));
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
    const endings = await Promise.all([api, ...workers].map((process) => process.stop('SIGTERM')));
    expect(endings).toEqual(endings.map(() => ({ code: 0, signal: null })));
    expect(api.output).toMatch(/api stopped/);
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
