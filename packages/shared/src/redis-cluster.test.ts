import { Contract, startCluster, waitFor, type TestCluster } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { createRedis, isRedisUnavailableError, type RedisClient } from './redis.js';

/** Three keys whose slots are served by three different masters. */
async function oneKeyPerMaster(cluster: TestCluster): Promise<string[]> {
  const byMaster = new Map<number, string>();
  for (let n = 0; byMaster.size < 3; n++) {
    const key = `probe:{${n}}`;
    const master = await cluster.masterFor(key);
    if (!byMaster.has(master.port)) byMaster.set(master.port, key);
  }
  return [...byMaster.values()];
}

describe('createRedis on a real 3-master Redis Cluster', () => {
  let cluster: TestCluster;
  let keys: string[];
  const opened: RedisClient[] = [];
  const connect = async (role: 'producer' | 'worker') => {
    const config = loadConfig({ REDIS_URL: cluster.url, REDIS_CLUSTER_NODES: cluster.nodes });
    const client = createRedis(config.redis, role, `cluster-test-${role}`);
    client.on('error', () => {}); // the stalled master below is the point
    opened.push(client);
    await waitFor('the cluster client to be ready', () => client.status === 'ready');
    return client;
  };

  beforeAll(async () => {
    cluster = await startCluster({ masters: 3 });
    keys = await oneKeyPerMaster(cluster);
  });
  afterAll(async () => {
    for (const client of opened) client.disconnect();
    await cluster?.stop();
  });

  it('a producer reaches every master', async () => {
    const producer = await connect('producer');
    await expect(Promise.all(keys.map((key) => producer.set(key, 'v')))).resolves.toEqual(['OK', 'OK', 'OK']);
  });

  it('a producer still fails within two seconds when a master stalls, and recovers when it resumes', async () => {
    const producer = await connect('producer');
    const [key] = keys;
    const master = await cluster.masterFor(key!);
    master.server.signal('SIGSTOP');
    try {
      const started = Date.now();
      const error = await producer.get(key!).then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(isRedisUnavailableError(error), String(error)).toBe(true);
      expect(Date.now() - started).toBeLessThan(Contract.unavailableWithinMs);
    } finally {
      master.server.signal('SIGCONT');
    }
    await waitFor('the resumed master to answer', async () => (await producer.get(key!)) === 'v');
  });
});
