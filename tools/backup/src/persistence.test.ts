import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, appendFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RedisServer, runOwned } from '@msgpipe/redis-server';
import { createRedis, type RedisClient } from '@msgpipe/shared';
import { Timeouts, uniquePrefix, waitFor } from '@msgpipe/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProductData } from './product-data.fixture.js';

const CONFIG_FILE = fileURLToPath(new URL('../../../deploy/redis.conf', import.meta.url));

/** deploy/redis.conf as the launcher and docker-compose use it, and the restore procedures of docs/operations.md. */
describe('deploy/redis.conf', () => {
  let root: string;
  const servers: RedisServer[] = [];
  const clients: RedisClient[] = [];
  const now = Date.now();

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'msgpipe-persistence-'));
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.disconnect();
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  async function start(dir: string, settings: Record<string, string> = {}) {
    mkdirSync(dir, { recursive: true });
    const server = await RedisServer.start({ configFile: CONFIG_FILE, dir, settings });
    servers.push(server);
    const redis = createRedis({ url: server.url, clusterNodes: undefined, prefix: 'x' }, 'worker');
    redis.on('error', () => {}); // these servers are killed on purpose; the client's reconnect attempts are noise
    clients.push(redis);
    return { server, redis };
  }

  async function filledWithProductData(dir: string) {
    const { server, redis } = await start(dir);
    const data = new ProductData(redis, uniquePrefix('persist'));
    await data.fill(now);
    const snapshot = await data.snapshot(now);
    await data.close();
    return { server, redis, prefix: data.prefix, snapshot };
  }

  async function snapshotOf(redis: RedisClient, prefix: string) {
    const data = new ProductData(redis, prefix);
    try {
      return await data.snapshot(now);
    } finally {
      await data.close();
    }
  }

  it('turns on AOF everysec, RDB snapshots and noeviction, and loads in this redis-server', async () => {
    const { redis } = await start(join(root, 'settings'));
    const setting = async (name: string) => ((await redis.config('GET', name)) as string[])[1];
    expect(await setting('appendonly')).toBe('yes');
    expect(await setting('appendfsync')).toBe('everysec');
    expect(await setting('save')).toBe('3600 1 300 100 60 10000');
    expect(await setting('maxmemory-policy')).toBe('noeviction');
    expect(await setting('requirepass')).toBe('');
  });

  it('keeps every acknowledged write through a kill -9 (the AOF)', async () => {
    const dir = join(root, 'killed');
    const { server, prefix, snapshot } = await filledWithProductData(dir);
    server.signal('SIGKILL');
    await server.exited;
    expect(existsSync(join(dir, 'appendonlydir', 'appendonly.aof.manifest'))).toBe(true);

    const { redis } = await start(dir);
    expect(await snapshotOf(redis, prefix)).toEqual(snapshot);
  });

  it('restores from a copied dump.rdb with the documented procedure (appendonly off to load it, then on)', async () => {
    const source = join(root, 'rdb-source');
    const { redis: sourceRedis, prefix, snapshot } = await filledWithProductData(source);
    await sourceRedis.save();

    const target = join(root, 'rdb-target');
    mkdirSync(target);
    copyFileSync(join(source, 'dump.rdb'), join(target, 'dump.rdb'));
    const loading = await start(target, { appendonly: 'no' });
    expect(await snapshotOf(loading.redis, prefix)).toEqual(snapshot);
    await loading.redis.config('SET', 'appendonly', 'yes');
    await waitFor('the AOF rewrite that turning AOF on starts', async () => {
      const info = await loading.redis.info('persistence');
      return /aof_enabled:1/.test(info) && /aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info) && /aof_last_bgrewrite_status:ok/.test(info);
    });
    loading.server.signal('SIGKILL');
    await loading.server.exited;
    rmSync(join(target, 'dump.rdb')); // what comes back now comes from the AOF alone

    const { redis } = await start(target);
    expect(await snapshotOf(redis, prefix)).toEqual(snapshot);
  });

  it('restores from an AOF directory whose last write was cut off, after redis-check-aof --fix', async () => {
    const dir = join(root, 'torn');
    const { server, prefix, snapshot } = await filledWithProductData(dir);
    server.signal('SIGKILL');
    await server.exited;
    const manifestPath = join(dir, 'appendonlydir', 'appendonly.aof.manifest');
    const incr = /^file (\S+) seq \d+ type i$/m.exec(readFileSync(manifestPath, 'utf8'))?.[1];
    expect(incr, 'an incremental AOF file in the manifest').toBeDefined();
    appendFileSync(join(dir, 'appendonlydir', incr!), '*3\r\n$3\r\nSET\r\n$4\r\nto'); // a write torn by the crash

    const check = (...args: string[]) => runOwned('redis-check-aof', [...args, manifestPath], { timeoutMs: Timeouts.processStart, input: 'y\n' });
    await expect(check()).rejects.toMatchObject({ stdout: expect.stringMatching(/is not valid/) });
    expect((await check('--fix')).stdout).toMatch(/All AOF files and manifest are valid/);

    const { redis } = await start(dir);
    expect(await snapshotOf(redis, prefix)).toEqual(snapshot);
  });
});
