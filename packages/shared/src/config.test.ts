import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, envSchema, loadConfig } from './config.js';

/** The error loadConfig throws for this environment (fails the test if it does not throw one). */
function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig defaults', () => {
  it('matches the configuration table of the README when nothing is set', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.redis.prefix).toBe('msgpipe');
    expect(config.redis.clusterNodes).toBeUndefined();
    expect(config.adminToken).toBeUndefined();
    expect(config.adminAuthFailuresPerMinute).toBe(10);
    expect(config.trustProxy).toBeUndefined();
    expect(config.corsOrigins).toEqual([]);
    expect(config.rateLimitPerMinute).toBe(60);
    expect(config.ipv6RateLimitPrefix).toBe(64);
    expect(config.readRateLimitPerMinute).toBe(600);
    expect(config.streamsPerIp).toBe(20);
    expect(config.maxConnections).toBe(10_000);
    expect(config.messageMaxBytes).toBe(8192);
    expect(config.history).toEqual({ maxEntries: 100, ttlSeconds: 604_800 });
    expect(config.onlineWindowSeconds).toBe(300);
    expect(config.workerConcurrency).toBe(50);
    expect(config.queuePartitions).toBe(1);
    expect(config.enqueueBatch).toEqual({ maxMessages: 50, maxBytes: 1_048_576 });
    expect(config.workerPartitions).toBeUndefined();
    expect(config.responder).toEqual({ kind: 'rules', rulesFile: undefined });
    expect(config.responderPolicy).toEqual({ timeoutMs: 10_000, attempts: 5, maxPerSecond: 0, cacheTtlSeconds: 60, maxResponseBytes: 65_536 });
    expect(config.logLevel).toBe('info');
    expect(config.localRedisPort).toBe(6390);
    expect(config.workers).toBe(1);
    expect(config.workerMetricsPort).toBeUndefined();
    expect(config.jobLockMs).toBe(30_000);
  });

  it('points at the launcher\'s local Redis on LOCAL_REDIS_PORT when REDIS_URL is unset', () => {
    expect(loadConfig({}).redis.url).toBe('redis://127.0.0.1:6390');
    expect(loadConfig({ LOCAL_REDIS_PORT: '6400' }).redis.url).toBe('redis://127.0.0.1:6400');
  });

  it('reads only the environment it is given', () => {
    // Whatever this test process's own environment holds, an explicit env decides.
    expect(loadConfig({}).port).toBe(3000);
    expect(loadConfig({ PORT: '4000' }).port).toBe(4000);
  });
});

describe('loadConfig values', () => {
  it('parses every numeric and textual variable it is given', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      REDIS_URL: 'rediss://user:pw@redis.example:6380/2',
      REDIS_PREFIX: 'my_app.v2-prod',
      ADMIN_TOKEN: 'a-token-of-at-least-16-chars',
      ADMIN_AUTH_FAILURES_PER_MINUTE: '5',
      RATE_LIMIT_PER_MINUTE: '120',
      RATE_LIMIT_IPV6_PREFIX: '48',
      READ_RATE_LIMIT_PER_MINUTE: '0',
      STREAMS_PER_IP: '5',
      MAX_CONNECTIONS: '100',
      MESSAGE_MAX_BYTES: '1024',
      HISTORY_MAX_ENTRIES: '5',
      HISTORY_TTL_SECONDS: '3600',
      ONLINE_WINDOW_SECONDS: '60',
      WORKER_CONCURRENCY: '7',
      QUEUE_PARTITIONS: '4',
      LOG_LEVEL: 'debug',
      WORKERS: '3',
      WORKER_METRICS_PORT: '9400',
      JOB_LOCK_MS: '5000',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      redis: { url: 'rediss://user:pw@redis.example:6380/2', prefix: 'my_app.v2-prod' },
      adminToken: 'a-token-of-at-least-16-chars',
      adminAuthFailuresPerMinute: 5,
      rateLimitPerMinute: 120,
      ipv6RateLimitPrefix: 48,
      readRateLimitPerMinute: 0,
      streamsPerIp: 5,
      maxConnections: 100,
      messageMaxBytes: 1024,
      history: { maxEntries: 5, ttlSeconds: 3600 },
      onlineWindowSeconds: 60,
      workerConcurrency: 7,
      queuePartitions: 4,
      logLevel: 'debug',
      workers: 3,
      workerMetricsPort: 9400,
      jobLockMs: 5000,
    });
  });

  it('accepts RATE_LIMIT_PER_MINUTE=0, which turns rate limiting off', () => {
    expect(loadConfig({ RATE_LIMIT_PER_MINUTE: '0' }).rateLimitPerMinute).toBe(0);
  });

  it('treats empty and blank variables as unset', () => {
    const config = loadConfig({
      PORT: '',
      REDIS_URL: '',
      REDIS_PREFIX: '   ',
      ADMIN_TOKEN: '',
      TRUST_PROXY: '',
      REDIS_CLUSTER_NODES: ' ',
      LOG_LEVEL: '',
      HISTORY_MAX_ENTRIES: '',
    });
    expect(config.port).toBe(3000);
    expect(config.redis).toEqual({ url: 'redis://127.0.0.1:6390', clusterNodes: undefined, prefix: 'msgpipe' });
    expect(config.adminToken).toBeUndefined();
    expect(config.trustProxy).toBeUndefined();
    expect(config.logLevel).toBe('info');
    expect(config.history.maxEntries).toBe(100);
  });

  it('trims white space around values', () => {
    const config = loadConfig({ PORT: ' 8080 ', LOG_LEVEL: 'warn\n', REDIS_PREFIX: ' app ' });
    expect(config.port).toBe(8080);
    expect(config.logLevel).toBe('warn');
    expect(config.redis.prefix).toBe('app');
  });

  it('parses CORS_ORIGINS into origins as browsers send them: lower case, no default port, no repeats', () => {
    const { corsOrigins } = loadConfig({ CORS_ORIGINS: 'https://App.Example.com, http://localhost:5173,https://app.example.com:443/, http://[::1]:8080' });
    expect(corsOrigins).toEqual(['https://app.example.com', 'http://localhost:5173', 'http://[::1]:8080']);
  });

  it('parses TRUST_PROXY into the trusted proxies', () => {
    const config = loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' });
    expect(config.trustProxy?.entries).toEqual(['127.0.0.0/8', '::1/128', '10.0.0.0/8']);
    expect(config.trustProxy?.has('10.9.8.7')).toBe(true);
  });

  it('parses REDIS_CLUSTER_NODES into hosts and ports, IPv6 hosts in brackets', () => {
    const config = loadConfig({ REDIS_CLUSTER_NODES: 'redis-1:7000, 10.0.0.2:7001,[::1]:7002,,' });
    expect(config.redis.clusterNodes).toEqual([
      { host: 'redis-1', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
  });

  it('parses WORKER_PARTITIONS lists and ranges into sorted partitions without repeats', () => {
    expect(loadConfig({}).workerPartitions).toBeUndefined();
    expect(loadConfig({ WORKER_PARTITIONS: '2, 0' }).workerPartitions).toEqual([0, 2]);
    expect(loadConfig({ WORKER_PARTITIONS: '0-2,1,5' }).workerPartitions).toEqual([0, 1, 2, 5]);
    expect(loadConfig({ WORKER_PARTITIONS: '63' }).workerPartitions).toEqual([63]);
  });

  it.each([
    ['ENQUEUE_BATCH_MAX', '0'],
    ['ENQUEUE_BATCH_MAX', '1001'],
    ['ENQUEUE_BATCH_MAX_BYTES', '100'],
  ])('rejects %s=%j, naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  it.each(['64', '-1', '2-1', 'a', '0,,1', '1.5', '0-64'])('rejects WORKER_PARTITIONS=%j', (value) => {
    const error = configError({ WORKER_PARTITIONS: value });
    expect(error.problems).toEqual([`WORKER_PARTITIONS: expected partition numbers from 0 to 63, as 0,2 or 0-2 (got ${JSON.stringify(value)})`]);
  });

  it.each(['redis-1', 'redis-1:', ':7000', 'redis-1:port', '::1:7000', 'a b:7000', ',', 'redis-1:70000', 'redis-1:0'])(
    'rejects REDIS_CLUSTER_NODES=%j',
    (value) => {
      const error = configError({ REDIS_CLUSTER_NODES: value });
      expect(error.problems).toHaveLength(1);
      expect(error.problems[0]).toMatch(/^REDIS_CLUSTER_NODES: expected host:port/);
    },
  );
});

describe('responder settings', () => {
  it('builds the webhook and openai responder settings, the cache off by default for openai', () => {
    const webhook = loadConfig({ RESPONDER: 'webhook', RESPONDER_URL: 'http://127.0.0.1:9/hook', RESPONDER_SECRET: 'a-secret-of-16-chars' });
    expect(webhook.responder).toEqual({ kind: 'webhook', url: 'http://127.0.0.1:9/hook', secret: 'a-secret-of-16-chars' });
    expect(webhook.responderPolicy.cacheTtlSeconds).toBe(60);
    const openai = loadConfig({ RESPONDER: 'openai', OPENAI_BASE_URL: 'https://api.example/v1', OPENAI_API_KEY: 'sk-x', OPENAI_MODEL: 'm' });
    expect(openai.responder).toEqual({
      kind: 'openai',
      baseUrl: 'https://api.example/v1',
      apiKey: 'sk-x',
      model: 'm',
      systemPrompt: undefined,
      maxTokens: 4096,
      maxTokensField: 'max_completion_tokens',
    });
    expect(openai.responderPolicy.cacheTtlSeconds).toBe(0);
    expect(loadConfig({ RESPONDER: 'openai', OPENAI_BASE_URL: 'https://a/v1', OPENAI_API_KEY: 'k', OPENAI_MODEL: 'm', RESPONSE_CACHE_TTL_SECONDS: '30' }).responderPolicy.cacheTtlSeconds).toBe(30);
  });

  it('bounds what is read of an answer (RESPONSE_MAX_BYTES) and what openai may generate (OPENAI_MAX_TOKENS)', () => {
    expect(loadConfig({ RESPONSE_MAX_BYTES: '2048' }).responderPolicy.maxResponseBytes).toBe(2048);
    const openai = loadConfig({ RESPONDER: 'openai', OPENAI_BASE_URL: 'https://a/v1', OPENAI_API_KEY: 'k', OPENAI_MODEL: 'm', OPENAI_MAX_TOKENS: '300', OPENAI_MAX_TOKENS_FIELD: 'max_tokens' });
    expect(openai.responder).toMatchObject({ maxTokens: 300, maxTokensField: 'max_tokens' });
  });

  it.each([
    ['webhook', {}, ['RESPONDER_URL', 'RESPONDER_SECRET']],
    ['webhook', { RESPONDER_URL: 'http://x/' }, ['RESPONDER_SECRET']],
    ['openai', { OPENAI_BASE_URL: 'http://x/v1' }, ['OPENAI_API_KEY', 'OPENAI_MODEL']],
  ])('stops RESPONDER=%s without what it needs, naming each missing variable', (responder, env, names) => {
    const error = configError({ RESPONDER: responder, ...env });
    expect(error.problems).toEqual(names.map((name) => `${name}: required when RESPONDER=${responder}`));
  });

  it('never echoes a responder secret back in an error', () => {
    const error = configError({ RESPONDER: 'webhook', RESPONDER_URL: 'http://x/', RESPONDER_SECRET: 'tiny-secret' });
    expect(error.message).not.toContain('tiny-secret');
  });
});

describe('loadConfig errors', () => {
  it.each([
    ['PORT', 'abc', /PORT: expected an integer from 0 to 65535/],
    ['PORT', '65536', /PORT: expected an integer/],
    ['PORT', '80.5', /PORT: expected an integer/],
    ['RATE_LIMIT_PER_MINUTE', '-1', /RATE_LIMIT_PER_MINUTE: expected an integer from 0 to/],
    ['RATE_LIMIT_IPV6_PREFIX', '15', /RATE_LIMIT_IPV6_PREFIX: expected an integer from 16 to 128/],
    ['RATE_LIMIT_IPV6_PREFIX', '129', /RATE_LIMIT_IPV6_PREFIX: expected an integer from 16 to 128/],
    ['RATE_LIMIT_IPV6_PREFIX', '/56', /RATE_LIMIT_IPV6_PREFIX: expected an integer/],
    ['READ_RATE_LIMIT_PER_MINUTE', '-1', /READ_RATE_LIMIT_PER_MINUTE: expected an integer from 0 to/],
    ['STREAMS_PER_IP', 'many', /STREAMS_PER_IP: expected an integer from 0 to 10000/],
    ['MAX_CONNECTIONS', '1.5', /MAX_CONNECTIONS: expected an integer from 0 to/],
    ['HISTORY_MAX_ENTRIES', '0', /HISTORY_MAX_ENTRIES: expected an integer from 1 to/],
    ['HISTORY_TTL_SECONDS', 'week', /HISTORY_TTL_SECONDS: expected an integer/],
    ['MESSAGE_MAX_BYTES', '0', /MESSAGE_MAX_BYTES: expected an integer from 1/],
    ['QUEUE_PARTITIONS', '0', /QUEUE_PARTITIONS: expected an integer from 1/],
    ['WORKER_CONCURRENCY', 'lots', /WORKER_CONCURRENCY: expected an integer/],
    ['WORKER_METRICS_PORT', '0', /WORKER_METRICS_PORT: expected an integer from 1 to 65535/],
    ['JOB_LOCK_MS', '500', /JOB_LOCK_MS: expected an integer from 1000/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent/],
    ['REDIS_URL', 'http://x', /REDIS_URL: expected a redis:\/\/ or rediss:\/\/ URL/],
    ['REDIS_URL', 'not a url', /REDIS_URL: expected a redis:\/\/ or rediss:\/\/ URL/],
    ['REDIS_PREFIX', 'my app', /REDIS_PREFIX: expected 1–64 letters/],
    ['REDIS_PREFIX', '{msgpipe}', /REDIS_PREFIX: expected 1–64 letters/],
    ['REDIS_PREFIX', 'a:b', /REDIS_PREFIX: expected 1–64 letters/],
    ['REDIS_PREFIX', 'x'.repeat(65), /REDIS_PREFIX: expected 1–64 letters/],
    ['TRUST_PROXY', 'garbage', /TRUST_PROXY: .*"garbage" is none of these/],
    ['TRUST_PROXY', 'loopback,10.0.0.0/33', /TRUST_PROXY: .*"10\.0\.0\.0\/33" is none of these/],
    ['CORS_ORIGINS', '*', /CORS_ORIGINS: expected a comma list of origins .*"\*" is not accepted/],
    ['CORS_ORIGINS', 'https://app.example.com/path', /CORS_ORIGINS: .*"https:\/\/app\.example\.com\/path" is not one/],
    ['CORS_ORIGINS', 'app.example.com', /CORS_ORIGINS: .*"app\.example\.com" is not one/],
    ['CORS_ORIGINS', 'https://ok.example, ftp://files.example', /CORS_ORIGINS: .*"ftp:\/\/files\.example" is not one/],
    ['CORS_ORIGINS', 'null', /CORS_ORIGINS: .*"null" is not one/],
    ['ADMIN_TOKEN', 'short', /ADMIN_TOKEN: expected at least 16 characters/],
    ['ADMIN_AUTH_FAILURES_PER_MINUTE', '-1', /ADMIN_AUTH_FAILURES_PER_MINUTE: expected an integer from 0 to 10000/],
    ['RESPONDER', 'robot', /RESPONDER: expected rules, webhook or openai/],
    ['RESPONDER_URL', 'ftp://x', /RESPONDER_URL: expected an http/],
    ['RESPONDER_SECRET', 'short', /RESPONDER_SECRET: expected at least 16 characters/],
    ['RESPONDER_ATTEMPTS', '0', /RESPONDER_ATTEMPTS: expected an integer from 1/],
    ['RESPONSE_CACHE_TTL_SECONDS', '-1', /RESPONSE_CACHE_TTL_SECONDS: expected an integer from 0/],
    ['RESPONSE_MAX_BYTES', '1023', /RESPONSE_MAX_BYTES: expected an integer from 1024 to 16777216/],
    ['OPENAI_MAX_TOKENS', '0', /OPENAI_MAX_TOKENS: expected an integer from 1/],
    ['OPENAI_MAX_TOKENS_FIELD', 'tokens', /OPENAI_MAX_TOKENS_FIELD: expected max_completion_tokens or max_tokens/],
  ])('rejects %s=%j with a ConfigError naming the variable and what it expects', (name, value, expected) => {
    const error = configError({ [name]: value });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ConfigError');
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(expected);
    expect(error.message).toMatch(expected);
  });

  it('shows the offending value of a variable that is not secret', () => {
    expect(configError({ PORT: 'abc' }).problems[0]).toContain('(got "abc")');
  });

  it('reports every bad variable at once, not just the first', () => {
    const error = configError({
      PORT: 'abc',
      RATE_LIMIT_PER_MINUTE: '-1',
      LOG_LEVEL: 'loud',
      REDIS_PREFIX: 'has space',
      TRUST_PROXY: 'garbage',
      HOST: '127.0.0.1',
    });
    const named = error.problems.map((problem) => problem.split(':')[0]);
    expect(named.sort()).toEqual(['LOG_LEVEL', 'PORT', 'RATE_LIMIT_PER_MINUTE', 'REDIS_PREFIX', 'TRUST_PROXY']);
    for (const name of named) expect(error.message).toContain(`${name}:`);
  });

  it('never echoes the value of REDIS_URL or ADMIN_TOKEN, which may hold secrets', () => {
    const error = configError({
      REDIS_URL: 'http://admin:hunter2-secret@redis.internal:6379',
      ADMIN_TOKEN: 'tooShortSecret',
      PORT: 'abc',
    });
    expect(error.problems.some((problem) => problem.startsWith('REDIS_URL:'))).toBe(true);
    expect(error.problems.some((problem) => problem.startsWith('ADMIN_TOKEN:'))).toBe(true);
    const everything = `${error.message}\n${error.problems.join('\n')}\n${error.stack ?? ''}`;
    expect(everything).not.toContain('hunter2-secret');
    expect(everything).not.toContain('redis.internal');
    expect(everything).not.toContain('tooShortSecret');
  });
});

describe('ADMIN_TOKEN in production', () => {
  const apiConfigError = (env: NodeJS.ProcessEnv): ConfigError => {
    try {
      loadConfig(env, { role: 'api' });
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
    throw new Error(`loadConfig accepted ${JSON.stringify(env)} for the API`);
  };

  it('is required by the API with NODE_ENV=production: a generated one would differ per API process', () => {
    const error = apiConfigError({ NODE_ENV: 'production' });
    expect(error.problems).toEqual([expect.stringMatching(/^ADMIN_TOKEN: required when NODE_ENV=production/)]);
    expect(apiConfigError({ NODE_ENV: 'production', ADMIN_TOKEN: '  ' }).problems[0]).toMatch(/^ADMIN_TOKEN: required/);
  });

  it('is reported with the other problems, all at once', () => {
    const error = apiConfigError({ NODE_ENV: 'production', PORT: 'abc', RESPONDER: 'webhook' });
    expect(error.problems.map((problem) => problem.split(':')[0]).sort()).toEqual(['ADMIN_TOKEN', 'PORT']);
    const valid = apiConfigError({ NODE_ENV: 'production', RESPONDER: 'webhook' });
    expect(valid.problems.map((problem) => problem.split(':')[0]).sort()).toEqual(['ADMIN_TOKEN', 'RESPONDER_SECRET', 'RESPONDER_URL']);
  });

  it('lets the API start with one, and outside production without one (it generates its own)', () => {
    expect(loadConfig({ NODE_ENV: 'production', ADMIN_TOKEN: 'a-token-of-at-least-16-chars' }, { role: 'api' }).adminToken).toBe('a-token-of-at-least-16-chars');
    expect(loadConfig({ NODE_ENV: 'development' }, { role: 'api' }).adminToken).toBeUndefined();
    expect(loadConfig({}, { role: 'api' }).adminToken).toBeUndefined();
  });

  it('is not asked of the other processes (workers, tools), which never check it', () => {
    expect(loadConfig({ NODE_ENV: 'production' }).adminToken).toBeUndefined();
    expect(loadConfig({ NODE_ENV: 'production' }, { role: 'worker' }).adminToken).toBeUndefined();
  });
});

describe('loadConfigOrExit (in a real process)', () => {
  const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

  /**
   * The child process runs the build (dist), not these sources: fail clearly when there is no
   * build, or when it is out of date with respect to the variables these tests use.
   */
  async function assertBuildMatchesSources(): Promise<void> {
    if (!existsSync(dist)) throw new Error(`${dist} is missing: run \`npx turbo run build\` first`);
    const built = (await import(pathToFileURL(dist).href)) as { envSchema?: { shape?: object } };
    if (JSON.stringify(Object.keys(built.envSchema?.shape ?? {})) !== JSON.stringify(Object.keys(envSchema.shape))) {
      throw new Error('packages/shared/dist is older than src (envSchema differs): run `npx turbo run build` first');
    }
  }

  function runChild(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const script = `const { loadConfigOrExit } = await import(${JSON.stringify(dist)});
const config = loadConfigOrExit();
process.stdout.write('started on port ' + config.port + '\\n');`;
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('exits non-zero with stderr naming every bad variable, and never reaches the start', async () => {
    await assertBuildMatchesSources();
    const result = await runChild({ PORT: 'abc', LOG_LEVEL: 'loud', REDIS_URL: 'ftp://u:hunter2-secret@h' });
    expect(result.code).not.toBe(0);
    expect(result.code).toBe(78);
    expect(result.stderr).toContain('Invalid configuration');
    expect(result.stderr).toMatch(/PORT: expected an integer/);
    expect(result.stderr).toMatch(/LOG_LEVEL: expected one of/);
    expect(result.stderr).toMatch(/REDIS_URL: expected a redis:\/\/ or rediss:\/\/ URL/);
    expect(result.stderr).not.toContain('hunter2-secret');
    expect(result.stdout).not.toContain('started');
  });

  it('returns the configuration and lets the process go on when the environment is good', async () => {
    await assertBuildMatchesSources();
    const result = await runChild({ PORT: '4321', LOG_LEVEL: 'warn' });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('started on port 4321\n');
    expect(result.code).toBe(0);
  });
});
