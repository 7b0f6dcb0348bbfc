import { queueName, queuePrefix } from '@msgpipe/shared';
import {
  clientIps,
  postMessage,
  startCluster,
  startPipeline,
  Timeouts,
  waitFor,
  type ClusterNode,
  type NodeProcess,
  type Pipeline,
  type TestCluster,
} from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyIds, stats } from './traffic.js';

const IPS = clientIps(23, 12);
const HISTORY = 1000;

/** Clients sending one message after another until stopped, keeping every answer. */
class Load {
  readonly accepted = new Map<string, Array<{ id: string; at: number }>>(IPS.map((ip) => [ip, []]));
  readonly refused: Array<{ status: number; at: number }> = [];
  #running = true;
  readonly #done: Promise<void[]>;

  constructor(baseUrl: string) {
    this.#done = Promise.all(
      IPS.map(async (ip) => {
        for (let n = 0; this.#running; n++) {
          const response = await postMessage(baseUrl, `load ${n}`, { localAddress: ip }).catch(() => undefined);
          if (response?.status === 202) this.accepted.get(ip)!.push({ id: response.json().id, at: Date.now() });
          else {
            this.refused.push({ status: response?.status ?? 0, at: Date.now() });
            // What a client does on 503 (Retry-After), shortened: not a synchronisation point.
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
      }),
    );
  }

  get count(): number {
    return [...this.accepted.values()].reduce((sum, ids) => sum + ids.length, 0);
  }

  acceptedAfter(at: number): number {
    return [...this.accepted.values()].flat().filter((message) => message.at > at).length;
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#done;
  }
}

describe('failover drill: kill -9 of a master during load, on a cluster with one replica per master', () => {
  let cluster: TestCluster;
  let pipeline: Pipeline | undefined;
  let processes: readonly NodeProcess[] = [];
  let baseUrl: string;
  let prefix: string;

  beforeAll(async () => {
    cluster = await startCluster({ masters: 3, replicasPerMaster: 1 });
    pipeline = await startPipeline({
      cluster,
      workers: 2,
      label: 'e2e-failover',
      env: {
        RATE_LIMIT_PER_MINUTE: '0',
        QUEUE_PARTITIONS: '3',
        HISTORY_MAX_ENTRIES: String(HISTORY),
        WORKER_CONCURRENCY: '10',
        // Jobs a worker held on the dead master run again soon after their lock expires.
        JOB_LOCK_MS: '2000',
      },
    });
    ({ baseUrl, prefix, processes } = pipeline);
  });

  afterAll(async () => {
    await pipeline?.kill();
    await cluster?.stop();
  });

  it('promotes the replica, carries on without restarts, and measures what acknowledged messages were lost', async () => {
    // Partition 0's queue and the {stats} counters share a master: kill that one.
    const queueKey = `${queuePrefix(prefix, 0)}:${queueName(0)}:id`;
    const victim = await cluster.masterFor(queueKey);
    expect((await cluster.masterFor(`${prefix}:{stats}:messages`)).port).toBe(victim.port);

    const load = new Load(baseUrl);
    try {
      await waitFor('load to be flowing and counted', async () => (await stats(baseUrl)).totalMessages >= 150);
      const killedAt = Date.now();
      victim.server.signal('SIGKILL');
      const promoted = await waitFor(
        'a replica to take over the dead master’s slots',
        async (): Promise<ClusterNode | false> => {
          const master = await cluster.masterFor(queueKey);
          return master.port !== victim.port && master.server.running && master;
        },
        { intervalMs: 100 },
      );
      await cluster.waitUntilHealthy();
      const recoveredAt = Date.now();
      // The pipeline must keep taking messages on the new master, from the same processes.
      await waitFor('150 more messages accepted after the failover', () => load.acceptedAfter(recoveredAt) >= 150);
      await load.stop();

      const total = load.count;
      await waitFor(
        'the queues to drain after the failover',
        async () => {
          const { queue } = await stats(baseUrl);
          return queue.waiting === 0 && queue.active === 0 && queue.delayed === 0;
        },
        { timeoutMs: Timeouts.drain, intervalMs: 250 },
      );

      let lost = 0;
      let lostAfterRecovery = 0;
      let inHistories = 0;
      for (const [ip, messages] of load.accepted) {
        const ids = await historyIds(baseUrl, ip, HISTORY);
        expect(ids.length, `${ip}'s history holds each message once`).toBe(new Set(ids).size);
        inHistories += ids.length;
        const found = new Set(ids);
        for (const message of messages) {
          if (found.has(message.id)) continue;
          lost++;
          if (message.at > recoveredAt) lostAfterRecovery++;
        }
      }
      const final = await stats(baseUrl);
      const report = {
        accepted: total,
        refusedDuringWindow: load.refused.filter((refusal) => refusal.at >= killedAt).length,
        lostAcknowledged: lost,
        countedVsHistories: final.totalMessages - inHistories,
        failoverMs: recoveredAt - killedAt,
        promoted: `${victim.port} -> ${promoted.port}`,
      };
      console.log(`failover drill: ${JSON.stringify(report)}`);

      expect(lostAfterRecovery).toBe(0);
      // Asynchronous replication loses at most the writes of the last moments before the kill.
      expect(lost).toBeLessThan(total / 10);
      for (const process of processes) expect(process.running, process.output.slice(-2000)).toBe(true);
    } finally {
      await load.stop();
    }
  });
});
