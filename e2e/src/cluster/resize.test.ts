import { freePort } from '@msgpipe/redis-server';
import { partitionOf } from '@msgpipe/shared';
import { testRedisUrl, uniquePrefix } from '@msgpipe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { API_MAIN, childEnv, NodeProcess, WORKER_MAIN } from '../processes.js';
import { ADMIN_TOKEN, clientIps, expectExactlyOnce, sendFromEach, waitUntilReady, type Sent } from './traffic.js';

const IPS = clientIps(24, 12);
const PER_IP = 4;

/**
 * Changing QUEUE_PARTITIONS with messages still queued under the old count: the procedure of
 * the README (workers consume the union of old and new partitions through WORKER_PARTITIONS,
 * then the API switches) loses nothing. Workers start last here, so the old count's backlog is
 * certainly still queued when the API switches.
 */
describe('changing QUEUE_PARTITIONS on a live system', () => {
  const started: NodeProcess[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((process) => process.stop('SIGKILL')));
  });

  async function run(from: number, to: number): Promise<void> {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const env = { REDIS_URL: testRedisUrl(), REDIS_PREFIX: uniquePrefix('e2e-resize'), PORT: String(port), ADMIN_TOKEN, RATE_LIMIT_PER_MINUTE: '0' };
    const startApi = async (partitions: number) => {
      const api = new NodeProcess(API_MAIN, childEnv({ ...env, QUEUE_PARTITIONS: String(partitions) }));
      started.push(api);
      await api.waitForOutput(/api listening/);
      await waitUntilReady(baseUrl);
      return api;
    };

    const before = await startApi(from);
    const queuedBefore = await sendFromEach(baseUrl, IPS, PER_IP, 'before');
    await before.stop('SIGTERM');
    await startApi(to);
    const queuedAfter = await sendFromEach(baseUrl, IPS, PER_IP, 'after');

    const union = `0-${Math.max(from, to) - 1}`;
    const worker = new NodeProcess(WORKER_MAIN, childEnv({ ...env, QUEUE_PARTITIONS: String(to), WORKER_PARTITIONS: union }));
    started.push(worker);
    await worker.waitForOutput(/worker consuming/);

    const sent: Sent = new Map(IPS.map((ip) => [ip, [...queuedBefore.get(ip)!, ...queuedAfter.get(ip)!]]));
    await expectExactlyOnce(baseUrl, sent);
  }

  it('grows 1 → 3 partitions without losing the messages queued before', async () => {
    expect(new Set(IPS.map((ip) => partitionOf(ip, 3))).size).toBe(3);
    await run(1, 3);
  });

  it('shrinks 3 → 1 partition: WORKER_PARTITIONS=0-2 drains the partitions the API no longer fills', async () => {
    await run(3, 1);
  });
});
