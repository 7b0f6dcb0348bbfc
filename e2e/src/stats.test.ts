import { asAdmin, clientIps, postMessage, request, startCluster, startPipeline, testRedisUrl, Timeouts, waitFor, type Pipeline, type PipelineRedis } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const IPS = clientIps(4, 10);
const PER_IP = 100;
const TOTAL = IPS.length * PER_IP;

/** Where the pipeline runs: on a cluster the counters take the four-step path (docs/redis.md, "What is atomic"). */
interface Topology {
  name: string;
  start(): Promise<{ where: PipelineRedis; env: Record<string, string>; stop(): Promise<void> }>;
}

const TOPOLOGIES: Topology[] = [
  { name: 'standalone Redis', start: async () => ({ where: { redis: testRedisUrl() }, env: {}, stop: async () => {} }) },
  {
    name: 'a 3-master Redis Cluster with 3 queue partitions',
    start: async () => {
      const cluster = await startCluster({ masters: 3 });
      return { where: { cluster }, env: { QUEUE_PARTITIONS: '3' }, stop: () => cluster.stop() };
    },
  },
];

describe.each(TOPOLOGIES)('stats after 1,000 messages from 10 IPs, with the worker killed (-9) and restarted mid-way, on $name', (topology) => {
  let running: Awaited<ReturnType<Topology['start']>> | undefined;
  let pipeline: Pipeline;
  let baseUrl: string;

  const stats = async () => (await request(baseUrl, '/v1/stats?top=20', { headers: asAdmin })).json();

  beforeAll(async () => {
    running = await topology.start();
    pipeline = await startPipeline({
      ...running.where,
      workers: 0,
      label: 'e2e-stats',
      // Small batches of concurrency make the kill land with jobs in flight.
      env: {
        ...running.env,
        RATE_LIMIT_PER_MINUTE: '0',
        WORKER_CONCURRENCY: '20',
        // A killed worker's jobs run again once their lock expires: keep that short here.
        JOB_LOCK_MS: '2000',
      },
    });
    baseUrl = pipeline.baseUrl;
  });

  afterAll(async () => {
    await pipeline?.kill();
    await running?.stop();
  });

  it('counts exactly 1,000, each IP 100, in sorted leaderboards, and one history entry per message', async () => {
    const first = await pipeline.startWorker();
    const ids = new Map<string, string[]>(IPS.map((ip) => [ip, []]));
    // Send in waves of one message per IP, so the kill below meets a steady stream.
    const sending = (async () => {
      for (let wave = 0; wave < PER_IP; wave++) {
        await Promise.all(
          IPS.map(async (ip) => {
            const response = await postMessage(baseUrl, `wave ${wave}`, { localAddress: ip });
            expect(response.status).toBe(202);
            ids.get(ip)!.push(response.json().id);
          }),
        );
      }
    })();

    await waitFor('the worker to be part-way through', async () => (await stats()).totalMessages >= 200);
    // Freeze the worker at moments of the stream until it is caught holding jobs in flight,
    // then kill it: those jobs are what the restart has to recover.
    const inFlightAtKill = await waitFor(
      'the worker frozen with jobs in flight',
      async () => {
        first.child.kill('SIGSTOP');
        const { queue, totalMessages } = await stats();
        const { active } = queue;
        if (active > 0) return active as number;
        first.child.kill('SIGCONT');
        await waitFor('the frozen worker to make progress again', async () => (await stats()).totalMessages > totalMessages);
        return false;
      },
      { intervalMs: 0 },
    );
    await first.stop('SIGKILL');
    expect(inFlightAtKill).toBeGreaterThan(0);
    expect((await stats()).totalMessages).toBeLessThan(TOTAL);
    await pipeline.startWorker();
    await sending;

    // Jobs the killed worker held come back through BullMQ's stalled-job check once their lock
    // expires (JOB_LOCK_MS), and the idempotent record keeps them counted once.
    const final = await waitFor(
      'all 1,000 messages counted',
      async () => {
        const current = await stats();
        return current.totalMessages >= TOTAL && current.queue.active === 0 && current.queue.waiting === 0 && current;
      },
      { timeoutMs: Timeouts.drain, intervalMs: 250 },
    );
    expect(final.totalMessages).toBe(TOTAL);
    expect(final.messagesToday).toBe(TOTAL);
    expect(final.uniqueIpsToday).toBe(IPS.length);
    expect(final.topSenders).toHaveLength(IPS.length);
    expect(final.topSenders.map((sender: { count: number }) => sender.count)).toEqual(IPS.map(() => PER_IP));
    expect(final.topSenders.map((sender: { ip: string }) => sender.ip).sort()).toEqual([...IPS].sort());
    expect(final.topSendersToday).toEqual(final.topSenders);
    expect(final.queue.failed).toBe(0);

    for (const ip of IPS) {
      const history = (await request(baseUrl, `/v1/history?limit=${PER_IP}`, { localAddress: ip })).json();
      const historyIds = history.messages.map((message: { id: string }) => message.id);
      expect(new Set(historyIds).size, ip).toBe(historyIds.length);
      expect(historyIds.sort(), ip).toEqual([...ids.get(ip)!].sort());
    }
  });
});
