import { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { explainConnectionErrors, redisErrorHint, withRedisHint } from './redis-error-hints.js';

function errorWithCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('redisErrorHint', () => {
  it.each([
    'WRONGPASS invalid username-password pair or user is disabled.',
    'NOAUTH Authentication required.',
    'ERR invalid password',
  ])('says authentication failed for %j', (message) => {
    expect(redisErrorHint(new Error(message))).toMatch(/^Redis authentication failed: check the user name and password in REDIS_URL$/);
  });

  it.each([
    "NOPERM this user has no permissions to run the 'info' command",
    // The same denial inside a Lua script, as Redis 7.0 words it.
    "ERR The user executing the script can't run this command or subcommand script: 1a2b3c, on @user_script:42.",
    "ERR The user executing the script can't access at least one of the keys mentioned in the command script: 1a2b3c, on @user_script:7.",
  ])('points a denied command at the shipped ACL: %s', (message) => {
    expect(redisErrorHint(new Error(message))).toMatch(/ACL .*deploy\/redis-acl\.conf/);
  });

  it("names and hints a cluster node's refusal that ioredis keeps in lastNodeError", () => {
    const refusal = new Error("NOPERM User msgpipe has no permissions to run the 'cluster|slots' command");
    const error = Object.assign(new Error('Failed to refresh slots cache.'), { lastNodeError: refusal });
    expect(withRedisHint(error)).toMatch(/^Failed to refresh slots cache\. \(NOPERM .*cluster\|slots.*\) -- .*deploy\/redis-acl\.conf$/);
    const unexplained = Object.assign(new Error('Failed to refresh slots cache.'), { lastNodeError: new Error('Connection is closed.') });
    expect(withRedisHint(unexplained)).toBe('Failed to refresh slots cache. (Connection is closed.)');
  });

  it('appends the hint to a message once, and leaves a message without one alone', () => {
    const denied = new Error('NOPERM no permissions');
    const once = withRedisHint(denied);
    expect(once).toMatch(/^NOPERM no permissions -- .*deploy\/redis-acl\.conf$/);
    expect(withRedisHint(new Error(once))).toBe(once);
    expect(withRedisHint(new Error('OOM command not allowed'))).toBe('OOM command not allowed');
  });

  it.each(['SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED'])(
    'says the certificate is not trusted, and how to trust its CA, for %s',
    (code) => {
      const hint = redisErrorHint(errorWithCode('some TLS failure', code));
      expect(hint).toContain('TLS certificate not trusted');
      expect(hint).toContain(code);
      expect(hint).toContain('NODE_EXTRA_CA_CERTS');
    },
  );

  it('says so when the certificate is trusted but names another host', () => {
    const hint = redisErrorHint(errorWithCode("Hostname/IP does not match certificate's altnames", 'ERR_TLS_CERT_ALTNAME_INVALID'));
    expect(hint).toMatch(/certificate is for another host.*REDIS_URL/);
  });

  it('has nothing to add to outages and other errors', () => {
    expect(redisErrorHint(errorWithCode('connect ECONNREFUSED 127.0.0.1:6379', 'ECONNREFUSED'))).toBeUndefined();
    expect(redisErrorHint(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBeUndefined();
    expect(redisErrorHint(new Error('not WRONGPASS at the start'))).toBeUndefined();
  });
});

describe('explainConnectionErrors', () => {
  it('appends the hint once, keeping the reply first, before later listeners see the error', () => {
    const connection = new EventEmitter();
    const seen: string[] = [];
    connection.on('error', (error: Error) => seen.push(error.message));
    explainConnectionErrors(connection);
    const error = new Error('WRONGPASS invalid username-password pair or user is disabled.');
    connection.emit('error', error);
    connection.emit('error', error);
    expect(seen[0]).toMatch(/^WRONGPASS invalid username-password pair or user is disabled\. -- Redis authentication failed/);
    expect(seen[1]).toBe(seen[0]);
  });

  it('leaves other errors as they are', () => {
    const connection = new EventEmitter();
    connection.on('error', () => {});
    explainConnectionErrors(connection);
    const error = new Error('connect ECONNREFUSED 127.0.0.1:1');
    connection.emit('error', error);
    expect(error.message).toBe('connect ECONNREFUSED 127.0.0.1:1');
  });
});

describe('explainConnectionErrors and credentials', () => {
  it('drops the password ioredis attached to a refused AUTH, before any listener sees the error', () => {
    const connection = new EventEmitter();
    let printed = '';
    connection.on('error', (error: Error) => (printed = inspect(error)));
    explainConnectionErrors(connection);
    const error = Object.assign(new Error('WRONGPASS invalid username-password pair or user is disabled.'), {
      command: { name: 'auth', args: ['msgpipe', 'the-secret-password'] },
    });
    connection.emit('error', error);
    expect(printed).toContain('WRONGPASS');
    expect(printed).not.toContain('the-secret-password');
    expect(error.command).toEqual({ name: 'auth', args: ['[redacted]', '[redacted]'] });
  });

  it('keeps the arguments of other commands, which help debugging and hold no credentials', () => {
    const connection = new EventEmitter();
    connection.on('error', () => {});
    explainConnectionErrors(connection);
    const error = Object.assign(new Error('NOPERM no permissions'), { command: { name: 'get', args: ['other:key'] } });
    connection.emit('error', error);
    expect(error.command.args).toEqual(['other:key']);
  });

  it('covers the connections duplicated from it (BullMQ duplicates for blocking reads)', () => {
    class FakeRedis extends EventEmitter {
      duplicate(): FakeRedis {
        return new FakeRedis();
      }
    }
    const original = new FakeRedis();
    explainConnectionErrors(original as never);
    const copy = original.duplicate();
    copy.on('error', () => {});
    const error = new Error('NOAUTH Authentication required.');
    copy.emit('error', error);
    expect(error.message).toContain('Redis authentication failed');
  });
});
