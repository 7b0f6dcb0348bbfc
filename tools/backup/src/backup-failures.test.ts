import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisServer } from '@msgpipe/redis-server';
import { createRedis, type RedisClient } from '@msgpipe/shared';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { StalledError } from './deadline.js';
import { runBackup } from './run-backup.js';

let server: RedisServer;
let redis: RedisClient;
let dir: string;
beforeAll(async () => {
  server = await RedisServer.start();
  redis = createRedis({ url: server.url, clusterNodes: undefined, prefix: 'x' }, 'worker');
  for (let n = 0; n < 10; n++) await redis.set(`stall:key:${n}`, String(n));
  dir = mkdtempSync(join(tmpdir(), 'msgpipe-backup-stall-'));
});
afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('fails when Redis stops answering mid-backup, and leaves no file behind', async () => {
  const out = join(dir, 'stalled.jsonl');
  let batches = 0;
  const backup = runBackup({
    redis,
    prefix: 'stall',
    out,
    batchSize: 2,
    stallTimeoutMs: 1000,
    onProgress: () => {
      // After the first batch is on disk, Redis freezes (as a stalled or partitioned server would).
      if (++batches === 1) server.signal('SIGSTOP');
    },
  });
  try {
    await expect(backup).rejects.toThrow(StalledError);
  } finally {
    server.signal('SIGCONT');
  }
  expect(batches).toBe(1);
  expect(readdirSync(dir)).toEqual([]);
  expect(existsSync(out)).toBe(false);
});
