/**
 * The compose healthchecks of the api and the worker, run as Docker runs them inside their
 * container (the service's environment, `node` of the image) against the built processes and
 * a real Redis. Only what points outside the container changes: the test's Redis and prefix,
 * a free port, and the loopback to listen on.
 */
import { freePort, runOwned } from '@msgpipe/redis-server';
import { API_MAIN, NodeProcess, testRedisUrl, Timeouts, uniquePrefix, WORKER_MAIN } from '@msgpipe/testkit';
import { describe, expect, it } from 'vitest';
import { healthcheckArgs, OPERATOR_ENV, resolvedEnvironment, service } from './compose-file.js';

/** The service's container environment, pointed at the test's Redis and a free port of this machine. */
async function containerEnv(name: string, portVariable: string): Promise<Record<string, string>> {
  return {
    ...resolvedEnvironment(service(name), OPERATOR_ENV),
    REDIS_URL: testRedisUrl(),
    REDIS_PREFIX: uniquePrefix(`healthcheck-${name}`),
    HOST: '127.0.0.1',
    [portVariable]: String(await freePort()),
    PATH: process.env.PATH ?? '',
  };
}

/** Runs the service's healthcheck as Docker would; resolves with its exit code. */
async function runHealthcheck(name: string, env: Record<string, string>): Promise<number | null> {
  const [program = '', ...args] = healthcheckArgs(service(name), name);
  // `node` of the image is the node running this test.
  try {
    await runOwned(program === 'node' ? process.execPath : program, args, { env, timeoutMs: Timeouts.request });
    return 0;
  } catch (error) {
    return (error as { code: number | null }).code;
  }
}

describe('the compose healthchecks, run against the built processes', () => {
  it.each([
    ['api', API_MAIN, 'PORT', /api listening/],
    ['worker', WORKER_MAIN, 'WORKER_METRICS_PORT', /worker metrics listening/],
  ] as const)('the %s’s passes while it serves, and fails once it has stopped', async (name, main, portVariable, ready) => {
    const env = await containerEnv(name, portVariable);
    const child = new NodeProcess(main, env, { name });
    try {
      await child.waitForOutput(ready);
      if (name === 'worker') await child.waitForOutput(/worker consuming/);
      expect(await runHealthcheck(name, env)).toBe(0);
    } finally {
      expect((await child.stop()).code).toBe(0);
    }
    expect(await runHealthcheck(name, env)).toBe(1);
  });
});
