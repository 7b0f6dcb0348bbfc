import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { answersPing, ensureRedisServerBinary, RedisServer, spawnOwned } from '@msgpipe/redis-server';
import { loadConfigOrExit } from '@msgpipe/shared';

/**
 * `npm start`: the whole pipeline on one machine. Starts (or reuses) a project-local Redis
 * unless REDIS_URL is set, then the API and WORKERS worker processes; Ctrl-C stops them all,
 * the Redis it started included.
 */
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const config = loadConfigOrExit();
const say = (line: string) => process.stdout.write(`[msgpipe] ${line}\n`);

async function localRedis(): Promise<{ url: string; server?: RedisServer }> {
  const url = `redis://127.0.0.1:${config.localRedisPort}`;
  if (await answersPing(config.localRedisPort)) {
    say(`reusing the Redis already answering on ${url}`);
    return { url };
  }
  ensureRedisServerBinary(say);
  const dir = resolve(repoRoot, config.localRedisDir);
  const server = await RedisServer.start({
    port: config.localRedisPort,
    dir,
    configFile: resolve(repoRoot, 'deploy/redis.conf'),
  });
  say(`started redis-server on ${url} (data in ${dir})`);
  return { url, server };
}

function startProcess(name: string, script: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawnOwned(process.execPath, [resolve(repoRoot, script)], { env, stdio: 'inherit' });
  child.once('exit', (code, signal) => {
    if (!stopping) {
      say(`${name} exited unexpectedly (${signal ?? `code ${code}`}); stopping everything`);
      void stopAll(1);
    }
  });
  return child;
}

/** Worker i serves its metrics on WORKER_METRICS_PORT + i: one machine, one port each. */
function workerEnv(env: NodeJS.ProcessEnv, index: number): NodeJS.ProcessEnv {
  if (config.workerMetricsPort === undefined) return env;
  return { ...env, WORKER_METRICS_PORT: String(config.workerMetricsPort + index) };
}

let stopping = false;
let children: ChildProcess[] = [];
let redisServer: RedisServer | undefined;

async function stopAll(exitCode: number): Promise<never> {
  stopping = true;
  const running = children.filter((child) => child.exitCode === null && child.signalCode === null);
  await Promise.all(
    running.map(
      (child) =>
        new Promise<void>((done) => {
          child.once('exit', () => done());
          child.kill('SIGTERM');
        }),
    ),
  );
  if (redisServer) {
    say('stopping redis-server (it saves its data first)');
    await redisServer.stop();
  }
  say('stopped');
  process.exit(exitCode);
}

async function main(): Promise<void> {
  process.once('SIGINT', () => void stopAll(0));
  process.once('SIGTERM', () => void stopAll(0));

  const env: NodeJS.ProcessEnv = { ...process.env };
  if (!process.env.REDIS_URL && !config.redis.clusterNodes) {
    const redis = await localRedis();
    redisServer = redis.server;
    env.REDIS_URL = redis.url;
  }
  const generatedToken = !env.ADMIN_TOKEN;
  env.ADMIN_TOKEN ??= randomBytes(24).toString('base64url');

  children = [
    startProcess('api', 'apps/api/dist/main.js', env),
    ...Array.from({ length: config.workers }, (_, index) =>
      startProcess(`worker ${index + 1}`, 'apps/worker/dist/main.js', workerEnv(env, index)),
    ),
  ];

  const displayHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const base = `http://${displayHost.includes(':') ? `[${displayHost}]` : displayHost}:${config.port}`;
  say(`API:         ${base}`);
  say(`Ops page:    ${base}/admin`);
  say(`Dashboard:   ${base}/admin/queues`);
  say(`Admin token: ${env.ADMIN_TOKEN}${generatedToken ? ' (generated for this run; set ADMIN_TOKEN to keep one)' : ''}`);
  say(`Workers:     ${config.workers}   ·   Ctrl-C stops everything`);
  if (config.workerMetricsPort !== undefined) {
    const last = config.workerMetricsPort + config.workers - 1;
    say(`Worker metrics: http://${displayHost}:${config.workerMetricsPort}${last > config.workerMetricsPort ? `–${last}` : ''}/metrics`);
  }
  say(`API metrics: ${base}/metrics (Bearer admin token)`);
  say(`Try it:      curl -X POST ${base}/v1/messages -H 'content-type: application/json' -d '{"message":"hello"}'`);
}

main().catch((error: Error) => {
  process.stderr.write(`[msgpipe] ${error.message}\n`);
  void stopAll(1);
});
