import { queueName, queuePrefix } from '@msgpipe/shared';
import { clientIps, startCluster, startPipeline, type NodeProcess, type Pipeline, type TestCluster } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectExactlyOnce, sendFromEach } from './traffic.js';

const PARTITIONS = 3;
const IPS = clientIps(21, 24);
const PER_IP = 10;

describe('the built pipeline on a 3-master Redis Cluster: API + 2 workers, QUEUE_PARTITIONS=3', () => {
  let cluster: TestCluster;
  let pipeline: Pipeline | undefined;
  let processes: readonly NodeProcess[] = [];
  let baseUrl: string;
  let prefix: string;

  beforeAll(async () => {
    cluster = await startCluster({ masters: 3 });
    pipeline = await startPipeline({
      cluster,
      workers: 2,
      label: 'e2e-cluster',
      env: { RATE_LIMIT_PER_MINUTE: '0', QUEUE_PARTITIONS: String(PARTITIONS), WORKER_CONCURRENCY: '10' },
    });
    ({ baseUrl, prefix, processes } = pipeline);
  });

  afterAll(async () => {
    await pipeline?.kill();
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
