/**
 * docker-compose.yml, checked without a Docker engine: parsed by `yaml` (compose-file.ts) and
 * held against the repository and the Dockerfile it builds. Runs after `turbo run build`.
 */
import { existsSync } from 'node:fs';
import { posix } from 'node:path';
import { envSchema, loadConfig } from '@msgpipe/shared';
import { describe, expect, it } from 'vitest';
import {
  asRecord,
  commandArgs,
  compose,
  containerPort,
  durationMs,
  environmentOf,
  healthcheckArgs,
  imageServices,
  interpolatedNames,
  isBindSource,
  mountsOf,
  OPERATOR_ENV,
  resolvedEnvironment,
  service,
  services,
} from './compose-file.js';
import { dockerfile, scriptInImage } from './image.js';
import { inRepo, readRepoFile } from './repo-files.js';

const ENV_NAMES = new Set([...Object.keys(envSchema.shape), 'NODE_ENV']);

describe('docker-compose.yml', () => {
  it('lets `docker compose up --scale worker=N` start N workers: no container_name, no ports', () => {
    expect(service('worker')).not.toHaveProperty('container_name');
    expect(service('worker')).not.toHaveProperty('ports');
  });

  it('runs the api and the worker from the same image', () => {
    const api = service('api');
    const worker = service('worker');
    expect(api.build, 'the api service builds the image').toBeDefined();
    if (worker.build !== undefined) expect(worker.build).toEqual(api.build);
    expect(worker.image).toBe(api.image);
  });

  it('sets only environment variables that msgpipe reads (keys of envSchema, or NODE_ENV)', () => {
    for (const name of ['api', 'worker']) {
      const unknown = [...environmentOf(service(name)).keys()].filter((variable) => !ENV_NAMES.has(variable));
      expect(unknown, `${name}: variables envSchema does not define`).toEqual([]);
      expect(service(name), `${name}: an env_file could set any name`).not.toHaveProperty('env_file');
    }
    const interpolated = [...interpolatedNames(compose)].filter((variable) => !ENV_NAMES.has(variable));
    expect(interpolated, '${VARIABLES} taken from the caller that envSchema does not define').toEqual([]);
  });

  it('gives the api and the worker a valid configuration for the same Redis, keys and queues', () => {
    const api = resolvedEnvironment(service('api'), OPERATOR_ENV);
    const worker = resolvedEnvironment(service('worker'), OPERATOR_ENV);
    const apiConfig = loadConfig(api, { role: 'api' });
    const workerConfig = loadConfig(worker, { role: 'worker' });
    for (const name of ['REDIS_URL', 'REDIS_PREFIX', 'QUEUE_PARTITIONS', 'REDIS_CLUSTER_NODES'] as const) {
      expect(worker[name], `${name} differs between api and worker`).toBe(api[name]);
    }
    expect(workerConfig.redis).toEqual(apiConfig.redis);
    const redisUrl = new URL(apiConfig.redis.url);
    expect(Object.keys(services), 'REDIS_URL names a compose service').toContain(redisUrl.hostname);
    expect(redisUrl.port || '6379').toBe('6379');
    expect(api.NODE_ENV).toBe('production');
    expect(worker.NODE_ENV).toBe('production');
  });

  it('runs every service of the image with NODE_ENV=production, as the image itself sets it', () => {
    expect(imageServices()).toEqual(expect.arrayContaining(['api', 'worker']));
    for (const name of imageServices()) expect(resolvedEnvironment(service(name), OPERATOR_ENV).NODE_ENV, name).toBe('production');
    expect(dockerfile.final.env.get('NODE_ENV')).toBe('production');
  });

  it.each([
    ['api', 'PORT', (config: ReturnType<typeof loadConfig>) => config.port],
    ['worker', 'WORKER_METRICS_PORT', (config: ReturnType<typeof loadConfig>) => config.workerMetricsPort],
  ] as const)('gives the %s a healthcheck: node (the slim image has no curl) asking /healthz on its %s', (name, portVariable, portOf) => {
    const [program, flag, script = '', ...rest] = healthcheckArgs(service(name), name);
    expect([program, flag, rest]).toEqual(['node', '-e', []]);
    const config = loadConfig(resolvedEnvironment(service(name), OPERATOR_ENV), { role: name });
    expect(portOf(config), `${portVariable} is set for the ${name}`).toBeDefined();
    expect(['0.0.0.0', '127.0.0.1'], 'the server answers on the loopback the check asks').toContain(config.host);
    expect(script).toContain("'http://127.0.0.1:' + ");
    expect(script).toContain('/healthz');
    expect(script, `the port is read from ${portVariable}`).toMatch(new RegExp(`process\\.env\\.${portVariable}\\b`));
    const healthcheck = asRecord(service(name).healthcheck, `${name}.healthcheck`);
    expect(durationMs(healthcheck.timeout)).toBeLessThan(durationMs(healthcheck.interval));
  });

  it('documents running the backup tool from the image: every `docker compose run … node SCRIPT` of the docs and the compose file', () => {
    const documented = ['docs/operations.md', 'docker-compose.yml'].flatMap((file) =>
      [...readRepoFile(file).replace(/\\\n\s*(#\s*)?/g, ' ').matchAll(/docker compose run\b[^\n]*?\s([\w-]+)\s+node\s+(\S+\.js)/g)].map((match) => ({
        file,
        serviceName: match[1] ?? '',
        script: match[2] ?? '',
      })),
    );
    expect(documented.map((command) => command.script)).toEqual(expect.arrayContaining(['tools/backup/dist/backup.js', 'tools/backup/dist/restore.js']));
    for (const { file, serviceName, script } of documented) {
      expect(imageServices(), `${file}: ${serviceName} does not run msgpipe's image`).toContain(serviceName);
      expect(scriptInImage(script), `${file}: ${script} is not in the final image`).toBe(script);
      expect(existsSync(inRepo(script)), `${file}: npm run build does not produce ${script}`).toBe(true);
    }
  });

  it('refuses to start without ADMIN_TOKEN, which the api needs in production, and passes it to the api only', () => {
    expect(() => resolvedEnvironment(service('api'))).toThrow(/ADMIN_TOKEN/);
    expect(() => resolvedEnvironment(service('api'), { ADMIN_TOKEN: '' })).toThrow(/ADMIN_TOKEN/);
    expect(loadConfig(resolvedEnvironment(service('api'), OPERATOR_ENV), { role: 'api' }).adminToken).toBe(OPERATOR_ENV.ADMIN_TOKEN);
    expect(resolvedEnvironment(service('worker'), OPERATOR_ENV)).not.toHaveProperty('ADMIN_TOKEN');
  });

  it('publishes the port the api listens on, on every interface of its container', () => {
    const config = loadConfig(resolvedEnvironment(service('api'), OPERATOR_ENV));
    expect(config.host).toBe('0.0.0.0');
    const ports = service('api').ports;
    expect(Array.isArray(ports) && ports.map(containerPort)).toEqual([config.port]);
  });

  it('starts the api and the workers once Redis answers, and restarts them', () => {
    for (const name of ['api', 'worker']) {
      const dependsOn = asRecord(service(name).depends_on, `${name}.depends_on`);
      expect(asRecord(dependsOn.redis, `${name}.depends_on.redis`).condition).toBe('service_healthy');
      expect(service(name).restart).toBe('unless-stopped');
    }
  });

  it('gives SIGTERM time to drain: stop_grace_period on api and worker, longer than the api shutdown timeout', () => {
    const apiGrace = durationMs(service('api').stop_grace_period);
    const workerGrace = durationMs(service('worker').stop_grace_period);
    expect(apiGrace).toBeGreaterThan(loadConfig(resolvedEnvironment(service('api'), OPERATOR_ENV)).shutdownTimeoutMs);
    expect(workerGrace).toBeGreaterThan(10_000); // Docker's default, which would cut jobs in flight
  });

  it('runs the worker entry point that the build produces, and the api on the image default', () => {
    const [program, script = '', ...rest] = commandArgs(service('worker').command, 'worker.command');
    expect(program).toBe('node');
    expect(rest).toEqual([]);
    expect(script).toBe('apps/worker/dist/main.js');
    expect(scriptInImage(script), `${script} is not in the final image`).toBe('apps/worker/dist/main.js');
    expect(existsSync(inRepo('apps/worker/dist/main.js')), 'npm run build produces apps/worker/dist/main.js').toBe(true);
    expect(service('api').command, 'the api runs the image CMD').toBeUndefined();
  });

  describe('redis', () => {
    const redis = service('redis');
    const args = commandArgs(redis.command, 'redis.command');
    const configPath = args[1] ?? '';
    const overrides = new Map<string, string[]>();
    for (let index = 2; index < args.length; ) {
      const name = args[index] ?? '';
      const values: string[] = [];
      for (index++; index < args.length && !(args[index] ?? '').startsWith('--'); index++) values.push(args[index] ?? '');
      overrides.set(name, values);
    }

    it('is redis 7 started with a config file', () => {
      expect(redis.image).toMatch(/^redis:7(\.|-|$)/);
      expect(args[0]).toBe('redis-server');
      expect(configPath).toMatch(/^\/.*\.conf$/);
    });

    it('reads deploy/redis.conf, mounted read-only, as that config file', () => {
      const mount = mountsOf(redis).find((candidate) => candidate.target === configPath);
      expect(mount, `nothing is mounted at ${configPath}`).toBeDefined();
      expect(isBindSource(mount?.source) && posix.normalize(mount?.source ?? '')).toBe('deploy/redis.conf');
      expect(mount?.readOnly).toBe(true);
      expect(existsSync(inRepo('deploy/redis.conf'))).toBe(true);
    });

    it('keeps AOF on and never evicts: in deploy/redis.conf, not overridden on the command line', () => {
      const conf = readRepoFile('deploy/redis.conf');
      expect(conf).toMatch(/^\s*appendonly\s+yes\s*$/m);
      expect(conf).toMatch(/^\s*maxmemory-policy\s+noeviction\s*$/m);
      expect(overrides.get('--appendonly') ?? ['yes']).toEqual(['yes']);
      expect(overrides.get('--maxmemory-policy') ?? ['noeviction']).toEqual(['noeviction']);
    });

    it('listens on the compose network, and keeps its data in a named volume', () => {
      expect(overrides.get('--bind')).toEqual(['0.0.0.0']);
      expect(overrides.get('--protected-mode')).toEqual(['no']);
      const [dir] = overrides.get('--dir') ?? [];
      const data = mountsOf(redis).find((mount) => mount.target === dir);
      expect(data, `no volume at --dir ${dir}`).toBeDefined();
      expect(Object.keys(asRecord(compose.volumes, 'volumes'))).toContain(data?.source);
      expect(redis, 'Redis stays on the compose network').not.toHaveProperty('ports');
    });

    it('has a healthcheck that pings it', () => {
      const test = commandArgs(asRecord(redis.healthcheck, 'redis.healthcheck').test, 'redis.healthcheck.test').join(' ');
      expect(test).toMatch(/redis-cli\b.*\bping\b/);
    });
  });
});
