import { freePort, RedisServer } from '@msgpipe/redis-server';
import { Contract, createTestCertificates, testRedisUrl, waitFor, type TestCertificates } from '@msgpipe/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from './config.js';
import { createRedis, isRedisUnavailableError, redactRedisUrl, type RedisClient } from './redis.js';

const PASSWORD = 'correct-horse-battery';

/** Settings as loadConfig would produce them for a standalone REDIS_URL. */
function standalone(url: string): Config['redis'] {
  return { url, clusterNodes: undefined, prefix: 'redis-test' };
}

/** Clients opened by a test, disconnected after it whatever happens. */
const opened: RedisClient[] = [];
function track<T extends RedisClient>(client: T): T {
  client.on('error', () => {}); // connection errors are expected here; commands report them
  opened.push(client);
  return client;
}
/** Servers started by a test, stopped after the file even when a test times out. */
const started: RedisServer[] = [];
async function startServer(options: Parameters<typeof RedisServer.start>[0] = {}): Promise<RedisServer> {
  const server = await RedisServer.start(options);
  started.push(server);
  return server;
}
afterAll(async () => {
  for (const client of opened) client.disconnect();
  await Promise.all(started.map((server) => server.stop()));
});

/** A producer connection refuses commands until it is ready (no offline queue): wait for that. */
async function readyClient<T extends RedisClient>(client: T): Promise<T> {
  await waitFor('the connection to be ready', () => client.status === 'ready');
  return client;
}

/** Runs `command` and returns what it rejected with and how long that took. */
async function rejection(command: () => Promise<unknown>): Promise<{ error: unknown; elapsedMs: number }> {
  const started = performance.now();
  try {
    await command();
  } catch (error) {
    return { error, elapsedMs: performance.now() - started };
  }
  throw new Error('the command succeeded, but it was expected to fail');
}

describe('isRedisUnavailableError', () => {
  it.each([
    'connect ECONNREFUSED 127.0.0.1:6379',
    'read ECONNRESET',
    'connect ETIMEDOUT',
    'write EPIPE',
    'getaddrinfo ENOTFOUND redis.internal',
    'Connection is closed.',
    'Command timed out',
    "Stream isn't writeable and enableOfflineQueue options is false",
    'Reached the max retries per request limit (which is 1). Refer to "maxRetriesPerRequest" option for details.',
    'Failed to refresh slots cache.',
    'None of startup nodes is available',
    "Cluster isn't ready and enableOfflineQueue options is false",
    'Cluster is disconnected.',
    'Node is disconnected',
    'Too many Cluster redirections. Last error: ReplyError: MOVED 3999 127.0.0.1:6381',
    'LOADING Redis is loading the dataset in memory',
    "READONLY You can't write against a read only replica.",
    'OOM command not allowed when used memory > \'maxmemory\'.',
    'MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to \'no\'.',
    'CLUSTERDOWN The cluster is down',
    'TRYAGAIN Multiple keys request during rehashing of slot',
    'BUSY Redis is busy running a script.',
    'NOAUTH Authentication required.',
    'WRONGPASS invalid username-password pair or user is disabled.',
    'MISCONF Redis is configured to save RDB snapshots, but it is currently not able to persist on disk.',
  ])('says Redis is unavailable for %j', (message) => {
    expect(isRedisUnavailableError(new Error(message))).toBe(true);
  });

  it('says Redis is unavailable for ioredis\'s retry and cluster failure errors, by name', () => {
    for (const name of ['MaxRetriesPerRequestError', 'ClusterAllFailedError']) {
      const error = new Error('something went wrong');
      error.name = name;
      expect(isRedisUnavailableError(error)).toBe(true);
    }
  });

  it.each([
    'WRONGTYPE Operation against a key holding the wrong kind of value',
    'ERR syntax error',
    "ERR unknown command 'FOO'",
    'NOSCRIPT No matching script. Please use EVAL.',
    'ERR Error running script: attempt to compare nil with number',
    "Cannot read properties of undefined (reading 'id')",
    'not BUSY at the start, so not a BUSY reply',
  ])('treats %j as a bug of ours, not an outage', (message) => {
    expect(isRedisUnavailableError(new Error(message))).toBe(false);
  });

  it('treats anything that is not an Error as not an outage', () => {
    for (const value of [undefined, null, 'ECONNREFUSED', { message: 'ECONNREFUSED' }, 42]) {
      expect(isRedisUnavailableError(value)).toBe(false);
    }
  });

  it('tells a real server\'s usage errors from an outage', async () => {
    const client = track(new Redis(testRedisUrl()));
    const key = `redis-test:${Math.random()}`;
    await client.set(key, 'a string', 'EX', 60);
    const { error } = await rejection(() => client.lpush(key, 'x'));
    expect((error as Error).message).toMatch(/^WRONGTYPE/);
    expect(isRedisUnavailableError(error)).toBe(false);
  });
});

describe('redactRedisUrl', () => {
  it('replaces the password and keeps what helps an operator: user, host, port, database', () => {
    const redacted = redactRedisUrl('redis://alice:hunter2@redis.example:6380/3');
    expect(redacted).toBe('redis://alice:***@redis.example:6380/3');
  });

  it('replaces a password without a user name and a percent-encoded one', () => {
    expect(redactRedisUrl('redis://:hunter2@h:6379')).toBe('redis://:***@h:6379');
    const encoded = redactRedisUrl('rediss://bob:p%40ss%3Aword@h');
    expect(encoded).toBe('rediss://bob:***@h');
    expect(encoded).not.toMatch(/p%40ss|p@ss|word/);
  });

  it('hides a password given as a ?password= query parameter, which ioredis also accepts', () => {
    const redacted = redactRedisUrl('redis://redis.example:6379/0?password=hunter2&family=6');
    expect(redacted).not.toContain('hunter2');
    expect(redacted).toContain('redis.example:6379');
    expect(redacted).toContain('family=6');
  });

  it('leaves a URL without a password as it is', () => {
    expect(redactRedisUrl('redis://127.0.0.1:6390')).toBe('redis://127.0.0.1:6390');
    expect(redactRedisUrl('redis://alice@h:6379')).toBe('redis://alice@h:6379');
  });

  it('never echoes an unparseable value, which might be a mistyped secret', () => {
    expect(redactRedisUrl('hunter2 not a url')).toBe('[unparseable url]');
  });
});

describe('createRedis', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startServer({ settings: { requirepass: PASSWORD } });
  });
  const authenticatedUrl = () => `redis://:${PASSWORD}@127.0.0.1:${server.port}`;

  it('connects with the credentials in REDIS_URL and names the connection after its role', async () => {
    const producer = await readyClient(track(createRedis(standalone(authenticatedUrl()), 'producer')));
    const named = await readyClient(track(createRedis(standalone(authenticatedUrl()), 'worker', 'msgpipe-worker-7')));
    expect(await producer.ping()).toBe('PONG');
    expect(await producer.client('GETNAME')).toBe('msgpipe-producer');
    expect(await named.client('GETNAME')).toBe('msgpipe-worker-7');
  });

  it('accepts a password given as ?password= (so redactRedisUrl must hide it too)', async () => {
    const url = `redis://127.0.0.1:${server.port}?password=${PASSWORD}`;
    const client = await readyClient(track(createRedis(standalone(url), 'producer')));
    expect(await client.ping()).toBe('PONG');
    expect(redactRedisUrl(url)).not.toContain(PASSWORD);
  });

  it('producer: rejects a command well within 2 s when nothing listens, also while reconnecting', async () => {
    const port = await freePort();
    const producer = track(createRedis(standalone(`redis://127.0.0.1:${port}`), 'producer'));

    const first = await rejection(() => producer.get('any-key'));
    expect(first.elapsedMs).toBeLessThan(Contract.unavailableWithinMs);
    expect(isRedisUnavailableError(first.error)).toBe(true);

    await waitFor('the producer to notice the refused connection', () => producer.status === 'reconnecting');
    const later = await rejection(() => producer.set('any-key', 'v'));
    expect(later.elapsedMs).toBeLessThan(Contract.unavailableWithinMs);
    expect(isRedisUnavailableError(later.error)).toBe(true);
  });

  it('producer: gives up on a stalled server within two seconds instead of hanging, and recovers', async () => {
    const producer = await readyClient(track(createRedis(standalone(authenticatedUrl()), 'producer')));
    expect(await producer.ping()).toBe('PONG');
    server.signal('SIGSTOP');
    try {
      const stalled = await rejection(() => producer.set('stall-key', 'v'));
      expect(stalled.elapsedMs).toBeLessThan(Contract.unavailableWithinMs);
      expect(isRedisUnavailableError(stalled.error)).toBe(true);
    } finally {
      server.signal('SIGCONT');
    }
    expect(await producer.ping()).toBe('PONG');
  });

  it('producer: with a wrong password, reports WRONGPASS as an outage and fails commands fast', async () => {
    const producer = track(createRedis(standalone(`redis://:wrong-password@127.0.0.1:${server.port}`), 'producer'));
    const errors: Error[] = [];
    producer.on('error', (error: Error) => errors.push(error));
    const refused = await waitFor('the server to refuse the password', () =>
      errors.find((error) => error.message.startsWith('WRONGPASS')),
    );
    expect(isRedisUnavailableError(refused)).toBe(true);
    expect(refused.message).toContain('Redis authentication failed: check the user name and password in REDIS_URL');
    expect(refused.message).not.toContain('wrong-password');
    expect(producer.status).not.toBe('ready');
    const { error, elapsedMs } = await rejection(() => producer.get('k'));
    expect(elapsedMs).toBeLessThan(Contract.unavailableWithinMs);
    expect(isRedisUnavailableError(error)).toBe(true);
  });

  it('worker: holds a command through an outage and sends it once Redis is back', async () => {
    const port = await freePort();
    const worker = track(createRedis(standalone(`redis://127.0.0.1:${port}`), 'worker'));
    let settled = false;
    const pending = worker.set('held-key', 'held-value').finally(() => (settled = true));
    await waitFor('the worker to notice the refused connection', () => worker.status === 'reconnecting');
    expect(settled).toBe(false);

    await startServer({ port });
    await expect(pending).resolves.toBe('OK');
    expect(await worker.get('held-key')).toBe('held-value');
  });
});

describe('createRedis with a rediss:// URL', () => {
  let certificates: TestCertificates;
  let server: RedisServer;
  beforeAll(async () => {
    certificates = createTestCertificates();
    server = await startServer({ tls: certificates });
  });
  afterAll(() => certificates?.remove());

  // The trusted path needs NODE_EXTRA_CA_CERTS, which Node reads at start only: see
  // e2e/src/redis-auth.test.ts, which starts the API and the worker with it.
  it('refuses a server whose certificate this process does not trust, says so, and fails commands fast', async () => {
    expect(server.url).toBe(`rediss://127.0.0.1:${server.port}`);
    const producer = track(createRedis(standalone(server.url), 'producer'));
    const errors: Error[] = [];
    producer.on('error', (error: Error) => errors.push(error));
    const refused = await waitFor('the certificate to be refused', () => errors.find((error) => /not trusted/.test(error.message)));
    expect(refused.message).toMatch(/Redis TLS certificate not trusted \(SELF_SIGNED_CERT_IN_CHAIN\).*NODE_EXTRA_CA_CERTS/);
    expect(producer.status).not.toBe('ready');
    const { error, elapsedMs } = await rejection(() => producer.get('k'));
    expect(elapsedMs).toBeLessThan(Contract.unavailableWithinMs);
    expect(isRedisUnavailableError(error)).toBe(true);
  });

  it('does not talk plain Redis to a TLS port: a redis:// URL gets no answer, as an outage', async () => {
    const producer = track(createRedis(standalone(`redis://127.0.0.1:${server.port}`), 'producer'));
    const { error, elapsedMs } = await rejection(() => producer.get('k'));
    expect(elapsedMs).toBeLessThan(Contract.unavailableWithinMs);
    expect(isRedisUnavailableError(error)).toBe(true);
  });
});

describe('createRedis with REDIS_CLUSTER_NODES', () => {
  it('producer: rejects a command well within 2 s, as an outage, when no cluster node answers', async () => {
    const port = await freePort();
    const producer = track(
      createRedis({ url: 'redis://127.0.0.1:6390', clusterNodes: [{ host: '127.0.0.1', port }], prefix: 'x' }, 'producer'),
    );
    const { error, elapsedMs } = await rejection(() => producer.get('any-key'));
    expect(elapsedMs).toBeLessThan(Contract.unavailableWithinMs);
    expect(isRedisUnavailableError(error)).toBe(true);
  });

  it('connects to a real cluster with the credentials of REDIS_URL (its host and port are not used)', async () => {
    // A one-node cluster owning every slot: real cluster protocol (MOVED, CROSSSLOT) on one process.
    const node = await startServer({
      settings: { 'cluster-enabled': 'yes', 'cluster-announce-ip': '127.0.0.1', requirepass: PASSWORD, masterauth: PASSWORD },
    });
    const admin = track(new Redis({ port: node.port, password: PASSWORD }));
    await admin.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
    await waitFor('the cluster to be ok', async () => /cluster_state:ok/.test(String(await admin.call('CLUSTER', 'INFO'))));

    const cluster = track(
      createRedis(
        { url: `redis://:${PASSWORD}@not-this-host:1`, clusterNodes: [{ host: '127.0.0.1', port: node.port }], prefix: 'x' },
        'producer',
      ),
    );
    await readyClient(cluster);
    expect(await cluster.set('cluster-key', 'v')).toBe('OK');
    expect(await admin.get('cluster-key')).toBe('v');

    const wrong = track(
      createRedis(
        { url: 'redis://:wrong-password@127.0.0.1:1', clusterNodes: [{ host: '127.0.0.1', port: node.port }], prefix: 'x' },
        'producer',
      ),
    );
    const { error } = await rejection(() => wrong.get('cluster-key'));
    expect(isRedisUnavailableError(error)).toBe(true);
  });
});
