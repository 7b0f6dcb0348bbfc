import { freePort } from '@msgpipe/redis-server';
import { postMessage, request, uniquePrefix, waitFor, type TestCluster } from '@msgpipe/testkit';
import { expect } from 'vitest';
import { API_MAIN, childEnv, NodeProcess, WORKER_MAIN } from '../processes.js';

export const ADMIN_TOKEN = 'e2e-cluster-token-0123456789';
const asAdmin = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** `count` client addresses 127.<block>.x.y, distinct per test file by `block`. */
export function clientIps(block: number, count: number): string[] {
  return Array.from({ length: count }, (_, index) => `127.${block}.${Math.floor(index / 250)}.${(index % 250) + 1}`);
}

/** The API listens before its Redis connection is up; /readyz says when it can take messages. */
export async function waitUntilReady(baseUrl: string): Promise<void> {
  await waitFor(`${baseUrl}/readyz to answer 200`, async () => (await request(baseUrl, '/readyz')).status === 200, { timeoutMs: 20_000 });
}

export interface ClusterPipeline {
  baseUrl: string;
  prefix: string;
  /** The API first, then the workers. */
  processes: NodeProcess[];
  stop(): Promise<void>;
}

/**
 * The built API and `workers` workers on the cluster, with the rate limit off; resolves once all
 * are ready, or with `ready: false` as soon as the API listens (for a Redis it cannot use).
 * `env` overrides anything, REDIS_URL and REDIS_PREFIX included.
 */
export async function startPipelineOn(
  cluster: TestCluster,
  workers: number,
  env: Record<string, string>,
  { ready = true }: { ready?: boolean } = {},
): Promise<ClusterPipeline> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const prefix = env.REDIS_PREFIX ?? uniquePrefix('e2e-cluster');
  const processEnv = childEnv({
    REDIS_URL: cluster.url,
    REDIS_CLUSTER_NODES: cluster.nodes,
    REDIS_PREFIX: prefix,
    PORT: String(port),
    ADMIN_TOKEN,
    RATE_LIMIT_PER_MINUTE: '0',
    ...env,
  });
  const processes = [new NodeProcess(API_MAIN, processEnv), ...Array.from({ length: workers }, () => new NodeProcess(WORKER_MAIN, processEnv))];
  const pipeline = { baseUrl, prefix, processes, stop: async () => void (await Promise.all(processes.map((process) => process.stop('SIGKILL')))) };
  try {
    await processes[0]!.waitForOutput(/api listening/);
    if (!ready) return pipeline;
    await waitUntilReady(baseUrl);
    await Promise.all(processes.slice(1).map((worker) => worker.waitForOutput(/worker consuming/)));
    return pipeline;
  } catch (error) {
    await pipeline.stop();
    throw error;
  }
}

/** Accepted message ids by IP, in the order each IP sent them. */
export type Sent = Map<string, string[]>;

/** Every IP sends `perIp` messages one after another; the IPs send side by side. */
export async function sendFromEach(baseUrl: string, ips: readonly string[], perIp: number, label = 'message'): Promise<Sent> {
  const sent: Sent = new Map(ips.map((ip) => [ip, []]));
  await Promise.all(
    ips.map(async (ip) => {
      for (let n = 0; n < perIp; n++) {
        const response = await postMessage(baseUrl, `${label} ${n}`, { localAddress: ip });
        expect(response.status, response.text).toBe(202);
        sent.get(ip)!.push(response.json().id);
      }
    }),
  );
  return sent;
}

export async function stats(baseUrl: string) {
  const response = await request(baseUrl, '/v1/stats?top=100', { headers: asAdmin });
  expect(response.status, response.text).toBe(200);
  return response.json();
}

/** Waits until `total` messages are counted and no job is waiting or running. */
export async function waitUntilAllCounted(baseUrl: string, total: number, timeoutMs = 60_000) {
  return waitFor(
    `${total} messages counted and the queues idle`,
    async () => {
      const current = await stats(baseUrl);
      return current.totalMessages >= total && current.queue.waiting === 0 && current.queue.active === 0 && current.queue.delayed === 0 && current;
    },
    { timeoutMs, intervalMs: 200 },
  );
}

/** The ids in an IP's history, newest first (through the admin route, so any IP). */
export async function historyIds(baseUrl: string, ip: string, limit = 100): Promise<string[]> {
  const response = await request(baseUrl, `/v1/ips/${ip}/history?limit=${limit}`, { headers: asAdmin });
  expect(response.status, response.text).toBe(200);
  return response.json().messages.map((message: { id: string }) => message.id);
}

/** Every accepted message once in its IP's history, and the counters exactly the messages sent. */
export async function expectExactlyOnce(baseUrl: string, sent: Sent): Promise<void> {
  const total = [...sent.values()].reduce((sum, ids) => sum + ids.length, 0);
  const final = await waitUntilAllCounted(baseUrl, total);
  expect(final.totalMessages).toBe(total);
  expect(final.messagesToday).toBe(total);
  expect(final.uniqueIpsToday).toBe(sent.size);
  expect(final.queue.failed).toBe(0);
  const counted = new Map(final.topSenders.map((sender: { ip: string; count: number }) => [sender.ip, sender.count]));
  for (const [ip, ids] of sent) {
    expect(counted.get(ip), `${ip}'s count`).toBe(ids.length);
    const inHistory = await historyIds(baseUrl, ip);
    expect(inHistory.length, `${ip}'s history holds each message once`).toBe(new Set(inHistory).size);
    expect([...inHistory].sort(), ip).toEqual([...ids].sort());
  }
}
