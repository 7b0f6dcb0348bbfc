import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisServer } from '@msgpipe/redis-server';
import { createRedis, type RedisClient } from '@msgpipe/shared';
import { startCluster, uniquePrefix, type TestCluster } from '@msgpipe/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BackupWriter } from './backup-writer.js';
import { BackupFormatError } from './format.js';
import { flushAll, keyCount, keysWithTtl, masters, ProductData } from './product-data.fixture.js';
import { runBackup } from './run-backup.js';
import { RestoreRefusedError, runRestore } from './run-restore.js';

const TTL_TOLERANCE_MS = 3000;
const THREE_HOURS = 3 * 3600_000;

/** Each topology gets Redis of its own: these tests FLUSHALL. */
const topologies = {
  standalone: async () => {
    const server = await RedisServer.start();
    return { redis: createRedis({ url: server.url, clusterNodes: undefined, prefix: 'x' }, 'worker'), stop: () => server.stop() };
  },
  'a 3-master cluster': async () => {
    const cluster: TestCluster = await startCluster({ masters: 3 });
    const nodes = cluster.servers.map((server) => ({ host: server.host, port: server.port }));
    return { redis: createRedis({ url: cluster.url, clusterNodes: nodes, prefix: 'x' }, 'worker'), stop: () => cluster.stop() };
  },
};

describe.each(Object.keys(topologies) as Array<keyof typeof topologies>)('backup and restore on %s', (topology) => {
  let redis: RedisClient;
  let stop: () => Promise<void>;
  let data: ProductData;
  let dir: string;
  let file: string;
  let original: unknown;
  let originalTtls: Map<string, number>;
  let ttlsReadAt: number;
  const prefix = uniquePrefix('bk');
  /** Redis's clock, as the product's writes and expiries follow it (see ProductData.fill). */
  let now: number;
  /** Keys the backup must neither save nor touch: other prefixes, one that merely starts like ours. */
  const outsiders = { 'other:ip:{1.2.3.4}:history': 'theirs', [`${prefix}-other:key`]: 'lookalike', [prefix]: 'bare prefix' };

  beforeAll(async () => {
    ({ redis, stop } = await topologies[topology]());
    const [seconds, micros] = await redis.time();
    now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    dir = mkdtempSync(join(tmpdir(), 'msgpipe-backup-test-'));
    file = join(dir, 'backup.jsonl');
    data = new ProductData(redis, prefix);
    await data.fill(now);
    for (const [key, value] of Object.entries(outsiders)) await redis.set(key, value);
    original = await data.snapshot(now);
    originalTtls = await keysWithTtl(redis, `${prefix}:*`);
    ttlsReadAt = Date.now();
  });
  afterAll(async () => {
    await data?.close();
    redis?.disconnect();
    await stop?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const restore = (options: { replace?: boolean; file?: string; clock?: () => number } = {}) =>
    runRestore({ redis, prefix, file: options.file ?? file, replace: options.replace ?? false, ...(options.clock && { clock: options.clock }) });

  it('backs up every key under the prefix, and nothing else', async () => {
    const summary = await runBackup({ redis, prefix, out: file, batchSize: 7 });
    expect(summary.keys).toBe(originalTtls.size);
    expect(summary.vanished).toBe(0);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const saved = lines.slice(1, -1).map((line) => Buffer.from(JSON.parse(line).key, 'base64').toString());
    expect(saved.sort()).toEqual([...originalTtls.keys()].sort());
    expect(saved.some((key) => key.startsWith(`${prefix}:{stats}:`))).toBe(true);
    expect(saved.some((key) => key.startsWith(`${prefix}:{messages-2}:`))).toBe(true);
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ end: true, keys: originalTtls.size });
  });

  if (topology !== 'standalone') {
    it('had keys on every master to back up (so every master was scanned)', async () => {
      const perMaster = await Promise.all(masters(redis).map(async (node) => (await node.keys(`${prefix}:*`)).length));
      expect(perMaster).toHaveLength(3);
      for (const count of perMaster) expect(count).toBeGreaterThan(0);
    });
  }

  it('after FLUSHALL, restores identical histories, stats, queues and TTLs, and leaves other keys alone', async () => {
    await flushAll(redis);
    const untouched = { 'other:after-flush': 'written after the backup' };
    for (const [key, value] of Object.entries(untouched)) await redis.set(key, value);

    const summary = await restore();
    expect(summary).toMatchObject({ restored: originalTtls.size, expired: 0 });
    expect(await data.snapshot(now)).toEqual(original);

    const ttls = await keysWithTtl(redis, `${prefix}:*`);
    const elapsed = Date.now() - ttlsReadAt;
    expect([...ttls.keys()].sort()).toEqual([...originalTtls.keys()].sort());
    for (const [key, before] of originalTtls) {
      const after = ttls.get(key)!;
      if (before === -1) expect(after, key).toBe(-1);
      else expect(Math.abs(after - (before - elapsed)), `${key}: ${before} ms before, ${after} ms after ${elapsed} ms`).toBeLessThan(TTL_TOLERANCE_MS);
    }
    expect(ttls.get(data.keys.totalMessages())).toBe(-1);
    expect(ttls.get(data.keys.history('1.2.3.4'))).toBeGreaterThan(3_500_000);

    // Keys outside the prefix were neither saved (gone with the flush) nor touched.
    for (const key of Object.keys(outsiders)) expect(await redis.exists(key), key).toBe(0);
    expect(await redis.get('other:after-flush')).toBe('written after the backup');
    expect(await keyCount(redis)).toBe(originalTtls.size + 1);
  });

  it('refuses to overwrite existing keys without --replace, naming them, and writes nothing', async () => {
    const changed = data.keys.history('1.2.3.4');
    const removed = data.keys.history('10.0.0.7');
    await redis.lpush(changed, 'written after the backup');
    await redis.del(removed);

    const refusal = await restore().catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(RestoreRefusedError);
    expect((refusal as Error).message).toMatch(new RegExp(`^${originalTtls.size - 1} of the backup's keys already exist \\(".*`));
    expect((refusal as Error).message).toMatch(/--replace/);
    expect(await redis.exists(removed)).toBe(0);
    expect(await redis.lindex(changed, 0)).toBe('written after the backup');
  });

  it('with --replace, overwrites them and brings everything back', async () => {
    const summary = await restore({ replace: true });
    expect(summary.restored).toBe(originalTtls.size);
    expect(await data.snapshot(now)).toEqual(original);
  });

  it('counts TTLs from the backup: keys whose expiry has passed since are skipped, the rest keep their expiry', async () => {
    await flushAll(redis);
    const threeHoursLater = () => Date.now() + THREE_HOURS;
    const summary = await restore({ clock: threeHoursLater });
    const minuteKeys = [...originalTtls.keys()].filter((key) => /:\{stats\}:messages:\d{4}-\d\d-\d\dT/.test(key));
    expect(minuteKeys.length).toBeGreaterThan(0);
    // History TTLs (1 h) and per-minute counts (2 h) run out before then; per-day keys (35 days) and keys without TTL do not.
    const gone = [...originalTtls].filter(([, ttl]) => ttl !== -1 && ttl < THREE_HOURS).map(([key]) => key);
    expect(gone).toEqual(expect.arrayContaining([...minuteKeys, data.keys.history('1.2.3.4')]));
    expect(summary).toEqual(expect.objectContaining({ expired: gone.length, restored: originalTtls.size - gone.length }));
    for (const key of gone) expect(await redis.exists(key), key).toBe(0);
    expect(await redis.get(data.keys.totalMessages())).not.toBeNull();
    const day = [...originalTtls.keys()].find((key) => /:\{stats\}:messages:\d{4}-\d\d-\d\d$/.test(key))!;
    // Restored with the TTL it will have left in three hours' time.
    const expected = originalTtls.get(day)! - (Date.now() - ttlsReadAt) - THREE_HOURS;
    expect(Math.abs((await redis.pttl(day)) - expected)).toBeLessThan(TTL_TOLERANCE_MS);
  });

  describe('a damaged file is refused before anything is written', () => {
    beforeEach(async () => {
      await flushAll(redis);
    });

    const damaged = (name: string, damage: (bytes: Buffer) => Buffer) => {
      const path = join(dir, name);
      writeFileSync(path, damage(readFileSync(file)));
      return path;
    };

    it.each([
      [
        'one byte of a record flipped (still valid JSON and base64)',
        (bytes: Buffer) => {
          const copy = Buffer.from(bytes);
          const at = copy.indexOf('"dump":"') + 12;
          copy[at] = copy[at] === 0x41 ? 0x42 : 0x41; // another base64 letter
          return copy;
        },
        /checksum mismatch/,
      ],
      ['cut in the middle', (bytes: Buffer) => bytes.subarray(0, Math.floor(bytes.length / 2)), /truncated/],
      [
        'cut after a whole line (no trailer)',
        (bytes: Buffer) => bytes.subarray(0, bytes.lastIndexOf('\n', bytes.length - 2) + 1),
        /no trailer .*truncated/,
      ],
      [
        'the last digit of the checksum changed',
        (bytes: Buffer) => {
          const copy = Buffer.from(bytes);
          const at = copy.length - 4; // …"sha256":"<hex>"}\n
          copy[at] = copy[at] === 0x30 ? 0x31 : 0x30;
          return copy;
        },
        /checksum mismatch/,
      ],
    ])('%s', async (name, damage, reason) => {
      const error = await restore({ file: damaged(`${name}.jsonl`, damage) }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(BackupFormatError);
      expect((error as Error).message).toMatch(reason);
      expect(await keyCount(redis)).toBe(0);
    });

    it('an empty file', async () => {
      const path = join(dir, 'empty.jsonl');
      writeFileSync(path, '');
      await expect(restore({ file: path })).rejects.toThrow(/empty/);
      expect(await keyCount(redis)).toBe(0);
    });

    it('a well-formed file that holds a key outside its prefix', async () => {
      const path = join(dir, 'foreign-key.jsonl');
      const writer = await BackupWriter.create(path, { prefix, createdAt: new Date().toISOString(), redisVersion: '7', cluster: false });
      await writer.write({ key: Buffer.from(`${prefix}:fine`), expireAt: null, dump: await dumpOf('fine') });
      await writer.write({ key: Buffer.from('other:key'), expireAt: null, dump: await dumpOf('not ours') });
      await writer.finish();
      await expect(restore({ file: path })).rejects.toThrow(/holds key "other:key", outside its REDIS_PREFIX .*nothing was written/);
      expect(await keyCount(redis)).toBe(0);
    });

    /** A real DUMP payload of a string, made on a throwaway key. */
    async function dumpOf(value: string): Promise<Buffer> {
      await redis.set(`${prefix}:scratch`, value);
      const dump = await redis.dumpBuffer(`${prefix}:scratch`);
      await redis.del(`${prefix}:scratch`);
      return dump!;
    }

    it("a backup of another REDIS_PREFIX", async () => {
      await expect(runRestore({ redis, prefix: `${prefix}-elsewhere`, file, replace: true })).rejects.toThrow(
        new RegExp(`^the backup is of REDIS_PREFIX ${prefix}, not ${prefix}-elsewhere: run with REDIS_PREFIX=${prefix}; nothing was written$`),
      );
      expect(await keyCount(redis)).toBe(0);
    });
  });
});
