import { RedisServer } from '@msgpipe/redis-server';
import { waitFor } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slotRefreshDiagnosis } from './slot-refresh-diagnosis.js';

describe('slotRefreshDiagnosis', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start({ settings: { requirepass: 'the-right-one' } });
  });
  afterAll(async () => {
    await server.stop();
  });

  it("finds why a cluster's slot map does not load with a connection of its own, and says so from then on", async () => {
    const diagnose = slotRefreshDiagnosis({ host: '127.0.0.1', port: server.port }, { password: 'a-wrong-one' });
    const failure = () => Object.assign(new Error('Failed to refresh slots cache.'), { lastNodeError: new Error('Connection is closed.') });
    expect(diagnose(failure())).toBeUndefined(); // the probe has only just started
    const hint = await waitFor('the probe to find the cause', () => diagnose(failure()));
    expect(hint).toMatch(/^Redis authentication failed/);
    expect(hint).not.toContain('a-wrong-one');
  });

  it('leaves every other error alone', () => {
    const diagnose = slotRefreshDiagnosis({ host: '127.0.0.1', port: server.port }, { password: 'a-wrong-one' });
    expect(diagnose(new Error('Command timed out'))).toBeUndefined();
    expect(diagnose(new Error('NOPERM no permissions'))).toBeUndefined();
  });
});
