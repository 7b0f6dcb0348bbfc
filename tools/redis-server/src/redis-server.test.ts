import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { answersPing } from './ping.js';
import { RedisServer } from './redis-server.js';

describe('RedisServer', () => {
  it('starts a real server on a free port and cleans up its temporary directory on stop', async () => {
    const server = await RedisServer.start();
    expect(await answersPing(server.port)).toBe(true);
    expect(existsSync(server.dir)).toBe(true);

    await server.stop();
    expect(server.running).toBe(false);
    expect(existsSync(server.dir)).toBe(false);
    expect(await answersPing(server.port)).toBe(false);
  });

  it('reports a server that cannot start instead of waiting forever', async () => {
    const first = await RedisServer.start();
    try {
      await expect(RedisServer.start({ port: first.port })).rejects.toThrow(/exited|Address already in use/);
    } finally {
      await first.stop();
    }
  });
});
