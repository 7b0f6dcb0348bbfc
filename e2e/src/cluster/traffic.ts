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
  let last: { totalMessages: number; queue: unknown } | undefined;
  return waitFor(
    () => `${total} messages counted and the queues idle; last seen ${JSON.stringify(last && { totalMessages: last.totalMessages, queue: last.queue })}`,
    async () => {
      const current = await stats(baseUrl);
      last = current;
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

/**
 * Adds `more` (other IPs' messages, or more of the same IPs') to `sent`. An id it holds already
 * is a repeated Idempotency-Key's answer, the same message; an IP with none accepted sent nothing to count.
 */
export function addSent(sent: Sent, more: ReadonlyMap<string, readonly string[]>): void {
  for (const [ip, ids] of more) {
    const known = sent.get(ip) ?? [];
    const added = [...new Set(ids)].filter((id) => !known.includes(id));
    if (known.length + added.length > 0) sent.set(ip, [...known, ...added]);
  }
}

/** Each IP's count in the all-time leaderboard, e.g. read from Redis (Auditor.senderCounts). */
export type SenderCounts = (ips: readonly string[]) => Promise<ReadonlyMap<string, number>>;

/** Redis's HyperLogLog standard error: the day's unique IPs are an estimate. */
const HYPERLOGLOG_ERROR = 0.0081;

/**
 * Every accepted message once in its IP's history, and the counters exactly the messages sent;
 * the unique IPs, a HyperLogLog's estimate, within three standard errors (exact below 42 IPs).
 * `/v1/stats` lists at most 100 senders: for more IPs than that, pass `senderCounts`.
 */
export async function expectExactlyOnce(baseUrl: string, sent: Sent, senderCounts?: SenderCounts): Promise<void> {
  const total = [...sent.values()].reduce((sum, ids) => sum + ids.length, 0);
  const final = await waitUntilAllCounted(baseUrl, total);
  expect(final.totalMessages).toBe(total);
  expect(final.messagesToday).toBe(total);
  const estimateError = Math.floor(3 * HYPERLOGLOG_ERROR * sent.size);
  expect(Math.abs(final.uniqueIpsToday - sent.size), `${final.uniqueIpsToday} unique IPs estimated for ${sent.size}`).toBeLessThanOrEqual(estimateError);
  expect(final.queue.failed).toBe(0);
  if (!senderCounts) expect(sent.size, 'IPs /v1/stats can list; else pass senderCounts').toBeLessThanOrEqual(100);
  const counted = senderCounts
    ? await senderCounts([...sent.keys()])
    : new Map<string, number>(final.topSenders.map((sender: { ip: string; count: number }) => [sender.ip, sender.count]));
  for (const [ip, ids] of sent) {
    expect(counted.get(ip), `${ip}'s count`).toBe(ids.length);
    const inHistory = await historyIds(baseUrl, ip);
    expect(inHistory.length, `${ip}'s history holds each message once`).toBe(new Set(inHistory).size);
    expect([...inHistory].sort(), ip).toEqual([...ids].sort());
  }
}
