import { API_MAIN, childEnv, NodeProcess, testRedisUrl, uniquePrefix, WORKER_MAIN } from '@msgpipe/testkit';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * The built processes as production starts them (childEnv sets NODE_ENV=production), with no
 * ADMIN_TOKEN: a token each API process generated for itself would differ from one process to
 * the next, and behind a load balancer an admin would get 401s at random.
 */
describe('ADMIN_TOKEN with NODE_ENV=production', () => {
  const started: NodeProcess[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((process) => process.kill()));
  });
  const start = (script: string, env: Record<string, string | undefined>) => {
    const process = new NodeProcess(script, childEnv({ REDIS_URL: testRedisUrl(), REDIS_PREFIX: uniquePrefix('admin-token'), PORT: '0', ...env }));
    started.push(process);
    return process;
  };

  it('stops the API before it listens (exit 78), naming the variable', async () => {
    const api = start(API_MAIN, {});
    const outcome = await Promise.race([api.exited, api.waitForOutput(/api listening/).then(() => 'listening' as const)]);
    expect(outcome).toEqual({ code: 78, signal: null });
    expect(api.output).toMatch(/ADMIN_TOKEN: required when NODE_ENV=production/);
  });

  it('starts the API with one', async () => {
    const api = start(API_MAIN, { ADMIN_TOKEN: 'a-production-token-0123456789' });
    await api.waitForOutput(/api listening/);
  });

  it('starts a worker without one: workers never check it', async () => {
    const worker = start(WORKER_MAIN, {});
    await worker.waitForOutput(/worker consuming/);
  });

  it('lets an API outside production generate its own and log it once', async () => {
    const api = start(API_MAIN, { NODE_ENV: undefined });
    await api.waitForOutput(/api listening/);
    expect(api.output.match(/ADMIN_TOKEN is not set; this process generated one/g)).toHaveLength(1);
  });
});
