import { asAdmin, postMessage, request, Timeouts, waitFor } from '@msgpipe/testkit';
import { expect } from 'vitest';

/** Traffic for the tests of a pipeline at scale: many IPs sending, and the exactly-once checks. */

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
export async function waitUntilAllCounted(baseUrl: string, total: number, timeoutMs = Timeouts.drain) {
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
