import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisServer } from '@msgpipe/redis-server';
import { API_MAIN, childEnv, NodeProcess, repoRoot, WORKER_MAIN } from '@msgpipe/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aclConfig, exerciseEverything, expectNoSecrets, expectUnavailable, startSecuredPipeline, type SecuredPipeline } from './secured-pipeline.js';

const secret = () => randomBytes(18).toString('hex');

const servers: RedisServer[] = [];
const pipelines: SecuredPipeline[] = [];
afterAll(async () => {
  await Promise.all(pipelines.map((pipeline) => pipeline.kill()));
  await Promise.all(servers.map((server) => server.stop()));
});
async function started(pipeline: Promise<SecuredPipeline>): Promise<SecuredPipeline> {
  pipelines.push(await pipeline);
  return pipelines.at(-1)!;
}

describe('a REDIS_URL that is not a Redis URL', () => {
  it.each([API_MAIN, WORKER_MAIN])('stops %s (exit 78) with a message naming the variable, not echoing its value', async (script) => {
    const password = secret();
    const process = new NodeProcess(script, childEnv({ REDIS_URL: `http://msgpipe:${password}@127.0.0.1:6379` }));
    expect((await process.exited).code).toBe(78);
    expect(process.output).toMatch(/REDIS_URL: expected a redis:\/\/ or rediss:\/\/ URL/);
    expect(process.output).not.toContain(password);
  });
});

describe('Redis with requirepass, the password in REDIS_URL', () => {
  const password = secret();
  const wrongPassword = secret();
  let server: RedisServer;
  let pipeline: SecuredPipeline;
  beforeAll(async () => {
    server = await RedisServer.start({ settings: { requirepass: password } });
    servers.push(server);
  });

  it('runs the whole pipeline, and the password shows up in no log, response or metric', async () => {
    pipeline = await started(startSecuredPipeline(`redis://:${password}@127.0.0.1:${server.port}`));
    await exerciseEverything(pipeline, '127.0.0.21');
    expect(pipeline.api.output).toContain(`"redis":"redis://:***@127.0.0.1:${server.port}"`);
    expectNoSecrets(pipeline, [password]);
  });

  it('with a wrong password: 503 at once, logs that say authentication failed, and neither password in them', async () => {
    const wrong = await started(startSecuredPipeline(`redis://:${wrongPassword}@127.0.0.1:${server.port}`));
    await expectUnavailable(wrong, '127.0.0.22');
    for (const process of [wrong.api, wrong.worker]) {
      await process.waitForOutput(/WRONGPASS.*Redis authentication failed: check the user name and password in REDIS_URL/);
    }
    expect(wrong.worker.output).not.toMatch(/worker consuming/);
    expectNoSecrets(wrong, [password, wrongPassword]);
    await wrong.kill();
  });

  it('when Redis goes away: 503, connection errors logged, and still no password anywhere', async () => {
    const before = { api: pipeline.api.output.length, worker: pipeline.worker.output.length };
    server.signal('SIGKILL');
    await server.exited;
    await expectUnavailable(pipeline, '127.0.0.23');
    await pipeline.api.waitForOutput(/redis connection error/);
    await pipeline.worker.waitForOutput(/ECONNREFUSED|Connection is closed/);
    expect(pipeline.api.output.length).toBeGreaterThan(before.api);
    expect(pipeline.worker.output.length).toBeGreaterThan(before.worker);
    expectNoSecrets(pipeline, [password]);
  });
});

describe('an ACL user with only what deploy/redis-acl.conf grants', () => {
  const password = secret();
  const adminPassword = secret();
  let configDir: string;
  let server: RedisServer;
  let admin: Redis;
  let asMsgpipe: Redis;
  beforeAll(async () => {
    configDir = mkdtempSync(join(tmpdir(), 'msgpipe-acl-'));
    const configFile = join(configDir, 'redis-acl.conf');
    writeFileSync(configFile, aclConfig(password, adminPassword));
    server = await RedisServer.start({ configFile, settings: { save: '', appendonly: 'no' } });
    servers.push(server);
    admin = new Redis({ port: server.port, username: 'admin', password: adminPassword, lazyConnect: true });
    asMsgpipe = new Redis({ port: server.port, username: 'msgpipe', password, lazyConnect: true, maxRetriesPerRequest: 0 });
    await Promise.all([admin.connect(), asMsgpipe.connect()]);
  });
  afterAll(() => {
    admin?.disconnect();
    asMsgpipe?.disconnect();
    rmSync(configDir, { recursive: true, force: true });
  });

  it('runs the whole pipeline as msgpipe, and Redis denied it nothing (empty ACL LOG)', async () => {
    const pipeline = await started(startSecuredPipeline(`redis://msgpipe:${password}@127.0.0.1:${server.port}`));
    await exerciseEverything(pipeline, '127.0.0.24');
    // Every denial, also of a command whose error someone caught and ignored, lands here.
    expect(await admin.call('ACL', 'LOG')).toEqual([]);
    const clients = String(await admin.call('CLIENT', 'LIST'));
    expect(clients).toMatch(/user=msgpipe/);
    expect(clients).not.toMatch(/user=default/);
    expectNoSecrets(pipeline, [password, adminPassword]);
    await pipeline.kill();
  });

  it('keeps the msgpipe user away from FLUSHALL, CONFIG, KEYS, ACL, functions, other keys and other channels', async () => {
    await admin.call('ACL', 'LOG', 'RESET');
    await admin.set('other-app:key', 'theirs');
    const denied: Array<[string, () => Promise<unknown>]> = [
      ['FLUSHALL', () => asMsgpipe.flushall()],
      ['FLUSHDB', () => asMsgpipe.flushdb()],
      ['CONFIG GET', () => asMsgpipe.config('GET', 'requirepass')],
      ['CONFIG SET', () => asMsgpipe.config('SET', 'maxmemory', '1')],
      ['KEYS', () => asMsgpipe.keys('*')],
      ['ACL SETUSER', () => asMsgpipe.call('ACL', 'SETUSER', 'msgpipe', '+@all')],
      ['CLIENT KILL', () => asMsgpipe.call('CLIENT', 'KILL', 'USER', 'admin')],
      ['SHUTDOWN', () => asMsgpipe.call('SHUTDOWN', 'NOSAVE')],
      ['BGSAVE', () => asMsgpipe.bgsave()],
      ['FUNCTION FLUSH', () => asMsgpipe.call('FUNCTION', 'FLUSH')],
      ['SCRIPT FLUSH', () => asMsgpipe.call('SCRIPT', 'FLUSH')],
      ['GET of another key', () => asMsgpipe.get('other-app:key')],
      ['DEL of another key', () => asMsgpipe.del('other-app:key')],
      ['EVAL on another key', () => asMsgpipe.eval("return redis.call('GET', KEYS[1])", 1, 'other-app:key')],
      ['PUBLISH to another channel', () => asMsgpipe.publish('other-app:news', 'x')],
    ];
    for (const [name, command] of denied) {
      await expect(command(), name).rejects.toThrow(/^NOPERM/);
    }
    expect(await admin.get('other-app:key')).toBe('theirs');
    expect(await admin.dbsize()).toBeGreaterThan(0);
    expect(await asMsgpipe.set('msgpipe:allowed', 'mine', 'EX', 60)).toBe('OK');
  });

  it('ships a file Redis refuses to start with until its password hash is filled in', async () => {
    const shipped = join(repoRoot, 'deploy/redis-acl.conf');
    await expect(RedisServer.start({ configFile: shipped, settings: { save: '', appendonly: 'no' } })).rejects.toThrow(/password hash/);
  });

  it('lets nobody in without a user name and password (user default off)', async () => {
    const anonymous = new Redis({ port: server.port, lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0 });
    try {
      await anonymous.connect();
      await expect(anonymous.ping()).rejects.toThrow(/^NOAUTH/);
    } finally {
      anonymous.disconnect();
    }
  });
});
