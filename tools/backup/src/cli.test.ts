import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@msgpipe/redis-server';
import { createRedis, type RedisClient } from '@msgpipe/shared';
import { startCluster, testRedisUrl, Timeouts, uniquePrefix, type TestCluster } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The built tools, as `npm run backup` / `npm run restore` run them. */
const BACKUP = fileURLToPath(new URL('../dist/backup.js', import.meta.url));
const RESTORE = fileURLToPath(new URL('../dist/restore.js', import.meta.url));

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(script: string, args: string[], env: Record<string, string>): Promise<Outcome> {
  const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...env };
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { env: childEnv, timeout: Timeouts.processStart }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'msgpipe-backup-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the backup and restore commands on standalone Redis', () => {
  const prefix = uniquePrefix('cli');
  const env = () => ({ REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix });
  let redis: RedisClient;
  let file: string;

  beforeAll(async () => {
    file = join(dir, 'standalone.jsonl');
    redis = createRedis({ url: testRedisUrl(), clusterNodes: undefined, prefix }, 'worker');
    await redis.set(`${prefix}:{stats}:messages`, '3');
    await redis.set(`${prefix}:ip:{1.2.3.4}:idem:abc`, 'x', 'EX', 600);
    await redis.rpush(`${prefix}:ip:{1.2.3.4}:history`, 'a', 'b');
  });
  afterAll(() => redis?.disconnect());

  it('backs up: exit 0, a summary line with keys, bytes and seconds, no progress bar off a terminal', async () => {
    const outcome = await run(BACKUP, ['--out', file], env());
    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    expect(outcome.stdout).toMatch(new RegExp(`^backup: 3 keys under ${prefix}:, \\d+ B written to ${file} in \\d+\\.\\d s\\n$`));
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(5);
  });

  it('refuses to restore over existing keys (exit 1, nothing written), and --replace restores them', async () => {
    await redis.rpush(`${prefix}:ip:{1.2.3.4}:history`, 'c');
    const refused = await run(RESTORE, [file], env());
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^restore: 3 of the backup's keys already exist .*--replace/);
    expect(await redis.llen(`${prefix}:ip:{1.2.3.4}:history`)).toBe(3);

    const replaced = await run(RESTORE, [file, '--replace'], env());
    expect(replaced).toMatchObject({ code: 0, stderr: '' });
    expect(replaced.stdout).toMatch(new RegExp(`^restore: 3 keys restored under ${prefix}: from ${file} \\(\\d+ B\\) in \\d+\\.\\d s\\n$`));
    expect(await redis.lrange(`${prefix}:ip:{1.2.3.4}:history`, 0, -1)).toEqual(['a', 'b']);
    expect(await redis.ttl(`${prefix}:ip:{1.2.3.4}:idem:abc`)).toBeGreaterThan(590);
  });

  it('refuses a corrupted file: exit 1, the reason, nothing written', async () => {
    const corrupted = join(dir, 'corrupted.jsonl');
    writeFileSync(corrupted, readFileSync(file, 'utf8').replace('"expireAt":null', '"expireAt":1'));
    await redis.del(`${prefix}:{stats}:messages`);
    const outcome = await run(RESTORE, [corrupted, '--replace'], env());
    expect(outcome).toMatchObject({ code: 1, stdout: '' });
    expect(outcome.stderr).toBe('restore: checksum mismatch: the file is corrupted\n');
    expect(await redis.exists(`${prefix}:{stats}:messages`)).toBe(0);
  });

  it('exits 78 on a bad configuration, naming the variable', async () => {
    const outcome = await run(BACKUP, ['--out', join(dir, 'never.jsonl')], { ...env(), REDIS_PREFIX: 'not a prefix' });
    expect(outcome.code).toBe(78);
    expect(outcome.stderr).toMatch(/REDIS_PREFIX/);
  });

  it('exits 1 with a usage line on bad arguments', async () => {
    const noOut = await run(BACKUP, [], env());
    expect(noOut.code).toBe(1);
    expect(noOut.stderr).toMatch(/--out FILE is required\nusage: npm run backup -- --out FILE/);
    const twoFiles = await run(RESTORE, ['a', 'b'], env());
    expect(twoFiles.code).toBe(1);
    expect(twoFiles.stderr).toMatch(/exactly one backup FILE/);
  });

  it('exits 1 at once, without the password, when Redis cannot be reached', async () => {
    const port = await freePort();
    const outcome = await run(BACKUP, ['--out', join(dir, 'unreachable.jsonl')], { REDIS_URL: `redis://:s3cret@127.0.0.1:${port}` });
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(new RegExp(`^backup: cannot reach Redis at redis://:\\*\\*\\*@127.0.0.1:${port}.*ECONNREFUSED`));
    expect(outcome.stderr).not.toContain('s3cret');
  });
});

describe('the backup and restore commands on a 3-master cluster (REDIS_CLUSTER_NODES)', () => {
  const prefix = uniquePrefix('cli');
  let cluster: TestCluster;
  let redis: RedisClient;
  const keys = ['1.2.3.4', '5.6.7.8', '9.9.9.9', '10.0.0.1', '2001-db8--1'].map((ip) => `${prefix}:ip:{${ip}}:history`);

  beforeAll(async () => {
    cluster = await startCluster({ masters: 3 });
    redis = createRedis({ url: cluster.url, clusterNodes: cluster.servers.map(({ host, port }) => ({ host, port })), prefix }, 'worker');
    for (const key of [...keys, `${prefix}:{stats}:messages`]) await redis.set(key, key);
  });
  afterAll(async () => {
    redis?.disconnect();
    await cluster?.stop();
  });

  it('backs up from every master and restores each key to its master', async () => {
    const file = join(dir, 'cluster.jsonl');
    const env = { REDIS_URL: cluster.url, REDIS_CLUSTER_NODES: cluster.nodes, REDIS_PREFIX: prefix };
    const backup = await run(BACKUP, ['--out', file], env);
    expect(backup.stderr).toBe('');
    expect(backup.stdout).toMatch(/^backup: 6 keys /);

    await Promise.all((await cluster.masters()).map((master) => cluster.cli(master.server, 'FLUSHALL')));
    const restore = await run(RESTORE, [file], env);
    expect(restore.stderr).toBe('');
    expect(restore.stdout).toMatch(/^restore: 6 keys restored /);
    for (const key of [...keys, `${prefix}:{stats}:messages`]) expect(await redis.get(key)).toBe(key);
  });
});
