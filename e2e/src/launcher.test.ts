import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answersPing, freePort, RedisServer } from '@msgpipe/redis-server';
import { childEnv, LAUNCHER_MAIN, NodeProcess, postMessage, request, waitFor } from '@msgpipe/testkit';
import { afterEach, describe, expect, it } from 'vitest';

describe('npm start (the launcher)', () => {
  const cleanups: Array<() => Promise<unknown> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function launch(env: Record<string, string>) {
    const launcher = new NodeProcess(LAUNCHER_MAIN, childEnv(env));
    cleanups.push(() => launcher.stop('SIGKILL'));
    return launcher;
  }

  it('starts a local persistent Redis, the API and the workers; a message completes; Ctrl-C stops all', async () => {
    const [port, redisPort] = [await freePort(), await freePort()];
    const dataDir = mkdtempSync(join(tmpdir(), 'msgpipe-launcher-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const launcher = await launch({ PORT: String(port), LOCAL_REDIS_PORT: String(redisPort), LOCAL_REDIS_DIR: dataDir, WORKERS: '2' });

    // The banner arrives in several writes: wait for its last line before reading it.
    await launcher.waitForOutput(/Try it: /);
    expect(launcher.output).toMatch(/API: +http:\/\/127\.0\.0\.1:\d+/);
    expect(launcher.output).toMatch(/Dashboard: +http:\/\/127\.0\.0\.1:\d+\/admin\/queues/);
    expect(launcher.output).toMatch(/Ops page: +http:\/\/127\.0\.0\.1:\d+\/admin\n/);
    const token = launcher.output.match(/Admin token: +(\S{16,})/)?.[1];
    expect(token).toBeDefined();
    await launcher.waitForOutput(/worker consuming[\s\S]*worker consuming/);
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitFor('the API to be ready', async () => (await request(baseUrl, '/readyz')).status === 200);

    const sent = await postMessage(baseUrl, 'hello');
    expect(sent.status).toBe(202);
    const entry = await waitFor('the response in the history', async () => {
      const [first] = (await request(baseUrl, '/v1/history')).json().messages;
      return first?.id === sent.json().id && first;
    });
    expect(entry.response).toBe('Hello, user from 127.0.0.1!');
    expect(existsSync(join(dataDir, 'appendonlydir'))).toBe(true);

    // The printed token opens the ops page the way a browser sends it: HTTP Basic.
    const basic = `Basic ${Buffer.from(`ops:${token}`).toString('base64')}`;
    const opsPage = await request(baseUrl, '/admin', { headers: { authorization: basic } });
    expect(opsPage.status).toBe(200);
    expect(opsPage.text).toContain('msgpipe · operations');

    const ending = await launcher.stop('SIGINT');
    expect(ending.code).toBe(0);
    expect(await answersPing(redisPort)).toBe(false);
    expect(existsSync(join(dataDir, 'dump.rdb'))).toBe(true);
  });

  it('reuses a Redis already answering on LOCAL_REDIS_PORT, and leaves it running; workers serve metrics when asked', async () => {
    const existing = await RedisServer.start();
    cleanups.push(() => existing.stop());
    const [port, metricsPort] = [await freePort(), await freePort()];
    const launcher = await launch({ PORT: String(port), LOCAL_REDIS_PORT: String(existing.port), WORKER_METRICS_PORT: String(metricsPort) });

    await launcher.waitForOutput(/reusing the Redis already answering/);
    await waitFor('the API to be ready', async () => (await request(`http://127.0.0.1:${port}`, '/readyz')).status === 200);
    await launcher.waitForOutput(/Try it: /);
    expect(launcher.output).toContain(`Worker metrics: http://127.0.0.1:${metricsPort}/metrics`);
    const metrics = await waitFor('the worker metrics', async () => {
      const response = await request(`http://127.0.0.1:${metricsPort}`, '/metrics').catch(() => undefined);
      return response?.status === 200 && response;
    });
    expect(metrics.text).toContain('msgpipe_worker_jobs_total');
    expect((await launcher.stop('SIGINT')).code).toBe(0);
    expect(await answersPing(existing.port)).toBe(true);
  });
});
