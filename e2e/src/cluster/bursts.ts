import { batchIdOf } from '@msgpipe/shared';
import { asAdmin, clientIps, parsePrometheusText, postMessage, request, samplesOf, type TestResponse } from '@msgpipe/testkit';
import { expect } from 'vitest';
import { asClient } from '../load.js';

/**
 * Bursts of messages for the group-commit tests of a running pipeline: POSTs sent at once so
 * they arrive while an enqueue is under way and go in one job, and how to tell they did.
 */

/** One POST of a burst: from `ip`, with `key` as its Idempotency-Key if given. */
export interface Post {
  ip: string;
  text: string;
  key?: string;
}

/**
 * Fresh client addresses for each part of a test sharing one pipeline, so no part inherits
 * another's rate budget, history or count: IPv4 from testkit's `block`, IPv6 in 2001:db8:<block>::/48.
 */
export class ClientPool {
  #ipv4 = 0;
  #subnets = 0;

  constructor(private readonly block: number) {}

  ipv4(count: number): string[] {
    const ips = clientIps(this.block, this.#ipv4 + count).slice(this.#ipv4);
    this.#ipv4 += count;
    return ips;
  }

  /** `count` IPv6 clients, `perSubnet` of them in each /64 (the rate limit's unit), in RFC 5952 form. */
  ipv6(count: number, perSubnet = 1): string[] {
    const first = this.#subnets;
    this.#subnets += Math.ceil(count / perSubnet);
    return Array.from({ length: count }, (_, n) => `2001:db8:${this.block}:${(first + Math.floor(n / perSubnet) + 1).toString(16)}::${(n % perSubnet) + 1}`);
  }
}

/** Sends every post at once, each on a connection of its own; IPv6 clients through `proxy`. */
export function sendAtOnce(baseUrl: string, posts: readonly Post[], proxy: string): Promise<TestResponse[]> {
  return Promise.all(posts.map(({ ip, text, key }) => postMessage(baseUrl, text, asClient(ip, proxy, key === undefined ? {} : { 'idempotency-key': key }))));
}

/** The accepted (202) ids by the IP that sent them, each id once: a repeated key is answered with its first message's id. */
export function acceptedByIp(posts: readonly Post[], responses: readonly TestResponse[]): Map<string, string[]> {
  const accepted = new Map<string, string[]>();
  responses.forEach((response, index) => {
    if (response.status !== 202) return;
    const { ip } = posts[index]!;
    const ids = accepted.get(ip) ?? [];
    const id: string = response.json().id;
    if (!ids.includes(id)) accepted.set(ip, [...ids, id]);
  });
  return accepted;
}

/** Groups of ids that went in one job: a batch's messages share its id as the first 20 characters of theirs. */
export function batchesAmong(ids: Iterable<string>): string[][] {
  const byBatch = new Map<string, Set<string>>();
  for (const id of ids) byBatch.set(batchIdOf(id), (byBatch.get(batchIdOf(id)) ?? new Set()).add(id));
  return [...byBatch.values()].filter((members) => members.size > 1).map((members) => [...members]);
}

export interface Burst {
  posts: Post[];
  responses: TestResponse[];
}

/**
 * Sends `posts(attempt)` at once until some of its accepted messages share a job, at most
 * `attempts` times, and returns every burst sent (each stands: its messages are answered and
 * counted like any). Arrivals batch when they overlap an enqueue; a burst almost always does,
 * and forcing it (pausing the partition's master) would hold the first enqueue back against
 * the API's 1.8 s Redis deadline on a slow machine, turning the test into a race.
 */
export async function untilBatched(baseUrl: string, proxy: string, posts: (attempt: number) => Post[], attempts = 5): Promise<Burst[]> {
  const bursts: Burst[] = [];
  for (let attempt = 0; attempt < attempts; attempt++) {
    const sent = posts(attempt);
    const responses = await sendAtOnce(baseUrl, sent, proxy);
    bursts.push({ posts: sent, responses });
    const ids = responses.filter((response) => response.status === 202).map((response) => response.json().id as string);
    if (batchesAmong(ids).length > 0) return bursts;
  }
  throw new Error(`none of ${attempts} bursts put two messages in one job`);
}

/** The API's msgpipe_enqueue_messages_per_job histogram: messages enqueued, in how many jobs. */
export async function messagesPerJob(baseUrl: string): Promise<{ messages: number; jobs: number }> {
  const response = await request(baseUrl, '/metrics', { headers: asAdmin });
  expect(response.status, response.text.slice(0, 200)).toBe(200);
  const metrics = parsePrometheusText(response.text);
  const value = (suffix: string) => samplesOf(metrics, `msgpipe_enqueue_messages_per_job_${suffix}`)[0]?.value ?? 0;
  return { messages: value('sum'), jobs: value('count') };
}
