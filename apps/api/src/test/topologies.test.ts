import { partitionOf } from '@msgpipe/shared';
import { ADMIN_TOKEN, asAdmin, openEventStream, postMessage, request, startCluster, testRedisUrl, waitFor } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from './api.fixture.js';
import { startEchoWorker } from './echo-worker.fixture.js';

/**
 * The API paths that touch Redis, on a standalone Redis and on a real 3-master Redis Cluster
 * with three queue partitions: on the cluster, any multi-key command or script that spans two
 * slots fails with CROSSSLOT, which would show here as a 5xx or a wrong answer.
 */

interface Topology {
  env: Record<string, string>;
  url: string;
  stop(): Promise<void>;
}

const topologies: Array<[string, () => Promise<Topology>]> = [
  ['standalone Redis', async () => ({ env: {}, url: testRedisUrl(), stop: async () => {} })],
  [
    'a 3-master Redis Cluster',
    async () => {
      const cluster = await startCluster({ masters: 3 });
      return { env: { REDIS_CLUSTER_NODES: cluster.nodes }, url: cluster.url, stop: () => cluster.stop() };
    },
  ],
];

describe.each(topologies)('the API on %s, QUEUE_PARTITIONS=3', (_name, startTopology) => {
  let topology: Topology;
  let api: RunningApi;
  let worker: { close(): Promise<void> };
  // Several source IPs, so the three partitions and many IP slots all take part.
  const ips = Array.from({ length: 6 }, (_, index) => `127.0.8.${index + 1}`);

  beforeAll(async () => {
    topology = await startTopology();
    api = await startApi({ ...topology.env, ADMIN_TOKEN, QUEUE_PARTITIONS: '3', RATE_LIMIT_PER_MINUTE: '5' }, topology.url);
    worker = await startEchoWorker(api);
  });

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await topology?.stop();
  });

  it('spreads the test IPs over all three partitions', () => {
    expect(new Set(ips.map((ip) => partitionOf(ip, 3))).size).toBe(3);
  });

  it('accepts, answers (?wait), reads back and counts messages from many IPs exactly', async () => {
    const sent = new Map<string, string[]>();
    for (const ip of ips) {
      const ids: string[] = [];
      for (let n = 0; n < 3; n++) {
        const response = await postMessage(api.baseUrl, `hello ${n} from ${ip}`, { localAddress: ip });
        expect(response.status, response.text).toBe(202);
        ids.push(response.json().id);
      }
      sent.set(ip, ids);
    }
    const waited = await request(api.baseUrl, '/v1/messages?wait=10000', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'and one more' }),
      localAddress: ips[0],
    });
    expect(waited.status, waited.text).toBe(200);
    expect(waited.json()).toMatchObject({ status: 'completed', response: 'echo: and one more', ip: ips[0] });
    sent.get(ips[0]!)!.push(waited.json().id);

    for (const [ip, ids] of sent) {
      const history = await waitFor(`${ip}'s history`, async () => {
        const body = (await request(api.baseUrl, '/v1/history?limit=10', { localAddress: ip })).json();
        return body.messages.length === ids.length && body;
      });
      expect(history.messages.map((message: { id: string }) => message.id).sort()).toEqual([...ids].sort());
      const read = await request(api.baseUrl, `/v1/messages/${ids[0]}`, { localAddress: ip });
      expect(read.json()).toMatchObject({ id: ids[0], status: 'completed', ip });
      expect((await request(api.baseUrl, `/v1/messages/${ids[0]}`, { localAddress: '127.0.8.200' })).status).toBe(404);
    }

    const stats = (await request(api.baseUrl, '/v1/stats?top=10', { headers: asAdmin })).json();
    expect(stats).toMatchObject({ totalMessages: 19, messagesToday: 19, uniqueIpsToday: 6, onlineNow: 6 });
    expect(stats.topSenders[0]).toEqual({ ip: ips[0], count: 4 });
    expect(stats.topSenders).toHaveLength(6);
    expect(stats.queue).toMatchObject({ waiting: 0, active: 0, completed: 19, failed: 0 });
  });

  it('keeps idempotency and rate limits per IP', async () => {
    const ip = '127.0.8.50';
    const headers = { 'idempotency-key': 'order-1' };
    const first = await postMessage(api.baseUrl, 'once', { localAddress: ip, headers });
    const again = await postMessage(api.baseUrl, 'once', { localAddress: ip, headers });
    expect(first.status).toBe(202);
    expect(again.json().id).toBe(first.json().id);
    const statuses: number[] = [];
    for (let n = 0; n < 5; n++) statuses.push((await postMessage(api.baseUrl, `burst ${n}`, { localAddress: ip })).status);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThan(0);
    expect(statuses.filter((status) => status !== 202 && status !== 429)).toEqual([]);
  });

  it('streams a finished message to its sender', async () => {
    const ip = '127.0.8.60';
    const stream = await openEventStream(api.baseUrl, '/v1/stream', { localAddress: ip });
    try {
      const id = (await postMessage(api.baseUrl, 'stream me', { localAddress: ip })).json().id;
      const [event] = await stream.take(1);
      expect(event).toMatchObject({ event: 'message', id });
      expect(JSON.parse(event!.data)).toMatchObject({ id, status: 'completed', response: 'echo: stream me' });
    } finally {
      stream.close();
    }
  });

  it('erases a history (the caller’s, and any IP’s as admin) and takes the IP off the leaderboards', async () => {
    const [own, other] = [ips[1]!, ips[2]!];
    expect((await request(api.baseUrl, '/v1/history', { method: 'DELETE', localAddress: own })).status).toBe(204);
    expect((await request(api.baseUrl, `/v1/ips/${other}/history`, { method: 'DELETE', headers: asAdmin })).status).toBe(204);

    expect((await request(api.baseUrl, '/v1/history', { localAddress: own })).json().messages).toEqual([]);
    const otherHistory = await request(api.baseUrl, `/v1/ips/${other}/history`, { headers: asAdmin });
    expect(otherHistory.status).toBe(200);
    expect(otherHistory.json().messages).toEqual([]);
    const stats = (await request(api.baseUrl, '/v1/stats?top=100', { headers: asAdmin })).json();
    const listed = [...stats.topSenders, ...stats.topSendersToday].map((sender: { ip: string }) => sender.ip);
    expect(listed).not.toContain(own);
    expect(listed).not.toContain(other);
    expect(listed).toContain(ips[0]);
  });

  it('serves the ops page, the dashboard’s queue list, metrics for every partition and readiness', async () => {
    expect((await request(api.baseUrl, '/readyz')).status).toBe(200);
    expect((await request(api.baseUrl, '/admin', { headers: asAdmin })).status).toBe(200);
    const dashboard = await request(api.baseUrl, '/admin/queues/api/queues', { headers: asAdmin });
    expect(dashboard.status, dashboard.text).toBe(200);
    expect(dashboard.json().queues.map((queue: { name: string }) => queue.name).sort()).toEqual(['messages', 'messages-1', 'messages-2']);
    const metrics = await request(api.baseUrl, '/metrics', { headers: asAdmin });
    expect(metrics.status).toBe(200);
    for (const queue of ['messages', 'messages-1', 'messages-2']) {
      expect(metrics.text).toContain(`msgpipe_queue_jobs{queue="${queue}",state="completed"}`);
      // Each partition's latency, read in its own slot.
      expect(metrics.text).toMatch(new RegExp(`^msgpipe_queue_oldest_waiting_seconds\\{queue="${queue}"\\} [\\d.]+$`, 'm'));
    }
    const search = await request(api.baseUrl, `/admin/search?q=${ips[0]}`, { headers: asAdmin });
    expect(search.status, search.text).toBe(200);
    expect(metrics.text).toMatch(/^msgpipe_redis_up 1$/m);
  });
});
