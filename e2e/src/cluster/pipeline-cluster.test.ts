import { freePort } from '@msgpipe/redis-server';
import { queueName, queuePrefix } from '@msgpipe/shared';
import { startCluster, uniquePrefix, type TestCluster } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_MAIN, childEnv, NodeProcess, WORKER_MAIN } from '../processes.js';
import { ADMIN_TOKEN, clientIps, expectExactlyOnce, sendFromEach, waitUntilReady } from './traffic.js';

const PARTITIONS = 3;
const IPS = clientIps(21, 24);
const PER_IP = 10;

describe('the built pipeline on a 3-master Redis Cluster: API + 2 workers, QUEUE_PARTITIONS=3', () => {
  let cluster: TestCluster;
  let processes: NodeProcess[] = [];
  let baseUrl: string;
  let prefix: string;

  beforeAll(async () => {
    cluster = await startCluster({ masters: 3 });
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    prefix = uniquePrefix('e2e-cluster');
    const env = childEnv({
      REDIS_URL: cluster.url,
      REDIS_CLUSTER_NODES: cluster.nodes,
      REDIS_PREFIX: prefix,
      PORT: String(port),
      ADMIN_TOKEN,
      RATE_LIMIT_PER_MINUTE: '0',
      QUEUE_PARTITIONS: String(PARTITIONS),
      WORKER_CONCURRENCY: '10',
    });
    processes = [new NodeProcess(API_MAIN, env), new NodeProcess(WORKER_MAIN, env), new NodeProcess(WORKER_MAIN, env)];
    await processes[0]!.waitForOutput(/api listening/);
    await waitUntilReady(baseUrl);
    await Promise.all(processes.slice(1).map((worker) => worker.waitForOutput(/worker consuming/)));
  });

  afterAll(async () => {
    await Promise.all(processes.map((process) => process.stop('SIGKILL')));
    await cluster?.stop();
  });

  it('answers every message from 24 IPs exactly once, counts them exactly, and never hits CROSSSLOT', async () => {
    const sent = await sendFromEach(baseUrl, IPS, PER_IP);
    await expectExactlyOnce(baseUrl, sent);
    for (const process of processes) expect(process.output).not.toMatch(/CROSSSLOT|"level":(50|60)/);
  });

  it('keeps the three partitions’ queues on three different masters, each holding jobs', async () => {
    const masters = new Set<number>();
    for (let partition = 0; partition < PARTITIONS; partition++) {
      // BullMQ's `id` counter: one per queue, bumped by every job added to it.
      const key = `${queuePrefix(prefix, partition)}:${queueName(partition)}:id`;
      const master = await cluster.masterFor(key);
      masters.add(master.port);
      // Asked directly (not through a cluster client), the master answers only for keys it holds.
      expect(Number(await cluster.cli(master.server, 'GET', key)), key).toBeGreaterThan(0);
    }
    expect(masters.size).toBe(3);
  });
});
