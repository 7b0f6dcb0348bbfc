import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedis, type RedisClient } from '@msgpipe/shared';
import { testRedisUrl, uniquePrefix } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackup } from './run-backup.js';

/**
 * The backup file holds every history: only its owner may read it, and a backup run in a
 * directory others can write to (/tmp) must not be turned into a write elsewhere.
 */
describe('the backup file', () => {
  const prefix = uniquePrefix('bkfile');
  let redis: RedisClient;
  let dir: string;
  beforeAll(async () => {
    redis = createRedis({ url: testRedisUrl(), clusterNodes: undefined, prefix }, 'worker');
    await redis.set(`${prefix}:ip:{1.2.3.4}:history`, 'a history');
    dir = mkdtempSync(join(tmpdir(), 'msgpipe-backup-file-'));
  });
  afterAll(async () => {
    await redis?.del(`${prefix}:ip:{1.2.3.4}:history`);
    redis?.disconnect();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is readable and writable by its owner only (0600), whatever the umask', async () => {
    const out = join(dir, 'private.jsonl');
    expect((await runBackup({ redis, prefix, out })).keys).toBe(1);
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  it('refuses a symlink at FILE.partial and writes nothing through it', async () => {
    const out = join(dir, 'linked.jsonl');
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'precious\n');
    symlinkSync(victim, `${out}.partial`);

    await expect(runBackup({ redis, prefix, out })).rejects.toThrow(`${out}.partial exists`);

    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(lstatSync(`${out}.partial`).isSymbolicLink()).toBe(true);
    expect(readlinkSync(`${out}.partial`)).toBe(victim);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a dangling symlink at FILE.partial: it creates no file where the link points', async () => {
    const out = join(dir, 'dangling.jsonl');
    const target = join(dir, 'created-through-the-link');
    symlinkSync(target, `${out}.partial`);

    await expect(runBackup({ redis, prefix, out })).rejects.toThrow(`${out}.partial exists`);
    expect(existsSync(target)).toBe(false);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses when FILE.partial already exists (another backup running, or one killed), and leaves it', async () => {
    const out = join(dir, 'busy.jsonl');
    writeFileSync(`${out}.partial`, 'another backup, half-way\n');

    await expect(runBackup({ redis, prefix, out })).rejects.toThrow(`${out}.partial exists`);
    expect(readFileSync(`${out}.partial`, 'utf8')).toBe('another backup, half-way\n');
    expect(existsSync(out)).toBe(false);
  });
});
