import { batchIdOf } from '@msgpipe/shared';
import { asAdmin, request, startCluster, startPipeline, waitFor, type NodeProcess, type Pipeline, type TestCluster } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Auditor } from '../audit.js';
import { SlowUpstream } from '../faults/slow-upstream.js';
import { asClient, startLoad, summarize } from '../load.js';
import { acceptedByIp, batchesAmong, ClientPool, messagesPerJob, sendAtOnce, untilBatched, type Burst, type Post } from './bursts.js';
import { addSent, expectExactlyOnce, type Sent } from './traffic.js';

const PARTITIONS = 3;
const RATE_LIMIT = 30;
const HISTORY = 100;
const WORKER_CONCURRENCY = 20;
/** Trusted as a proxy (TRUST_PROXY=loopback): IPv6 clients come through it with X-Forwarded-For. */
const PROXY = '127.0.26.1';
const FILE = 'group commit on a cluster';

const times = <T>(count: number, make: (n: number) => T): T[] => Array.from({ length: count }, (_, n) => make(n));

// Group commit (ENQUEUE_BATCH_MAX=50) on a 3-master cluster, one partition per master: a batch
// holds messages of IPs whose keys lie on every master, so admission, recording and counting
// cross slots.
// One pipeline for the whole file; every part takes fresh clients, and `sent` holds every
// message accepted so far, since the counters it checks are the pipeline's totals.
describe('group commit on a 3-master Redis Cluster: the built API and 2 workers, QUEUE_PARTITIONS=3', () => {
  const clients = new ClientPool(26);
  const sent: Sent = new Map();
  let upstream: SlowUpstream;
  let cluster: TestCluster;
  let pipeline: Pipeline | undefined;
  let auditor: Auditor | undefined;
  let baseUrl: string;
  const counted = () => expectExactlyOnce(baseUrl, sent, (ips) => auditor!.senderCounts(ips));

  beforeAll(async () => {
    // Answers at once until the kill test slows it, so a worker holds batches long enough to die in.
    upstream = await SlowUpstream.start(0);
    cluster = await startCluster({ masters: 3 });
    // Workers join after the first test, which needs batches that stay queued.
    pipeline = await startPipeline({
      cluster,
      workers: 0,
      label: 'e2e-group-commit-cluster',
      env: {
        ...upstream.responderEnv,
        ENQUEUE_BATCH_MAX: '50',
        QUEUE_PARTITIONS: String(PARTITIONS),
        RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
        TRUST_PROXY: 'loopback',
        HISTORY_MAX_ENTRIES: String(HISTORY),
        WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
        // A killed worker's batches run again once their lock expires: keep that short here.
        JOB_LOCK_MS: '2000',
      },
    });
    baseUrl = pipeline.baseUrl;
    auditor = new Auditor(cluster.url, pipeline.prefix, HISTORY, { clusterNodes: cluster.nodes, partitions: PARTITIONS });
  });

  afterAll(async () => {
    auditor?.close();
    await pipeline?.kill();
    await cluster?.stop();
    await upstream?.close();
  });

  it('shows a message inside a queued batch as queued to its sender and an admin, and to no other IP', async () => {
    const bursts = await untilBatched(baseUrl, PROXY, () => {
      const ips = [...clients.ipv4(3), ...clients.ipv6(1)];
      return times(40, (n) => ({ ip: ips[n % ips.length]!, text: `queued ${n}` }));
    });
    for (const { posts, responses } of bursts) {
      expect(responses.map((response) => response.status)).toEqual(posts.map(() => 202));
      addSent(sent, acceptedByIp(posts, responses));
    }
    const { posts, responses } = bursts.at(-1)!;
    const ids = responses.map((response) => response.json().id as string);
    const [batch] = batchesAmong(ids);
    const member = ids.indexOf(batch![0]!);
    const { ip, text } = posts[member]!;
    const queued = (await auditor!.jobsIn('wait')).find((job) => job.id === batchIdOf(batch![0]!));
    expect(queued?.messages, 'its batch waits as one job').toContain(ids[member]);
    expect(queued!.messages.length).toBeGreaterThan(1);

    const get = (from: string, headers = {}) => request(baseUrl, `/v1/messages/${ids[member]}`, asClient(from, PROXY, headers));
    expect((await get(ip)).json()).toMatchObject({ id: ids[member], status: 'queued', message: text, ip });
    expect((await get(PROXY, asAdmin)).json()).toMatchObject({ id: ids[member], status: 'queued', ip });
    for (const other of new Set(posts.map((post) => post.ip))) if (other !== ip) expect((await get(other)).status, other).toBe(404);
  });

  describe('with two workers', () => {
    beforeAll(async () => {
      await Promise.all([pipeline!.startWorker(), pipeline!.startWorker()]);
    });

    it('answers a load from 240 IPv4 and IPv6 clients exactly once and counts it exactly, in jobs of several messages', async () => {
      const total = 1200;
      const ips = [...clients.ipv4(210), ...clients.ipv6(30, 2)];
      const before = await messagesPerJob(baseUrl);
      const result = await startLoad({ baseUrl, ips, total, concurrency: 64, forwardedFrom: PROXY, label: 'load' }).done;
      const after = await messagesPerJob(baseUrl);
      const [messages, jobs] = [after.messages - before.messages, after.jobs - before.jobs];
      console.info(`${FILE}: ${summarize(result)}; ${messages} messages in ${jobs} jobs (${(messages / jobs).toFixed(1)} per job)`);
      expect(result.statuses).toEqual({ 202: total });
      expect(messages).toBe(total);
      expect(messages / jobs, 'messages per job').toBeGreaterThan(1);

      addSent(sent, result.accepted);
      await counted();
      for (const process of pipeline!.processes) expect(process.output, process.name).not.toMatch(/CROSSSLOT|"level":(50|60)/);
    });

    it(`refuses exactly one of ${RATE_LIMIT + 1} messages sent at once by one client (IPv4, and an IPv6 /64), batched`, async () => {
      const oneIpv4 = () => {
        const [ip] = clients.ipv4(1);
        return times(RATE_LIMIT + 1, () => ip!);
      };
      for (const [kind, next] of [
        ['IPv4', oneIpv4],
        // Every address of one /64: its rate key and the addresses' keys lie in different slots.
        ['IPv6 /64', () => clients.ipv6(RATE_LIMIT + 1, RATE_LIMIT + 1)],
      ] as const) {
        const bursts = await untilBatched(baseUrl, PROXY, () => next().map((ip, n) => ({ ip, text: `limited ${n}` })));
        for (const { posts, responses } of bursts) {
          const statuses = responses.map((response) => response.status).sort();
          expect(statuses, kind).toEqual([...times(RATE_LIMIT, () => 202), 429]);
          addSent(sent, acceptedByIp(posts, responses));
        }
      }
      await counted();
    });

    it('makes an Idempotency-Key repeated inside one batch and across batches one message: one id, one history entry', async () => {
      let clientsOf: { keyed: string; keyedV6: string; other: string } | undefined;
      // Keyed repeats of an IPv4 and an IPv6 client among plain messages, all at once; the IPv6
      // client's claim and its /64's rate key lie in different slots.
      const post = (n: number): Post => {
        const { keyed, keyedV6, other } = clientsOf!;
        if (n % 7 === 6) return { ip: keyedV6, text: 'keyed v6', key: 'order-1' };
        if (n % 3 === 0) return { ip: keyed, text: 'keyed v4', key: 'order-1' };
        return { ip: n % 3 === 1 ? keyed : other, text: `plain ${n}` };
      };
      const inOneBatch = await untilBatched(baseUrl, PROXY, () => {
        const [keyed, other] = clients.ipv4(2);
        clientsOf = { keyed: keyed!, other: other!, keyedV6: clients.ipv6(1)[0]! };
        return times(35, post);
      });
      // Later, in batches of their own: the key is claimed and its message queued or answered.
      const later = times(12, post);
      const bursts = [...inOneBatch, { posts: later, responses: await sendAtOnce(baseUrl, later, PROXY) }];

      for (const { posts, responses } of bursts) {
        expect(responses.map((response) => response.status)).toEqual(posts.map(() => 202));
        addSent(sent, acceptedByIp(posts, responses));
      }
      const { keyed, keyedV6 } = clientsOf!;
      const keyedIds = ({ posts, responses }: Burst, ip: string) =>
        new Set(responses.filter((_, n) => posts[n]!.key && posts[n]!.ip === ip).map((response) => response.json().id));
      for (const ip of [keyed, keyedV6]) {
        const [first, again] = bursts.slice(-2).map((burst) => keyedIds(burst, ip));
        expect(first!.size, `${ip}: one id inside the batch`).toBe(1);
        expect(again, `${ip}: the same id across batches`).toEqual(first);
      }
      // Each keyed message once in its history, beside the plain ones.
      await counted();
    });

    it('loses and duplicates nothing when a worker holding batches is killed (kill -9), and counts exactly', async () => {
      const total = 1500;
      const ips = [...clients.ipv4(140), ...clients.ipv6(10)];
      // Each answer now takes 50 ms: batches stay in flight long enough to be killed in.
      upstream.delayMs = 50;
      const callsBefore = upstream.calls.length;
      const calls = () => upstream.calls.slice(callsBefore);
      const before = await messagesPerJob(baseUrl);
      const load = startLoad({ baseUrl, ips, total, concurrency: 64, forwardedFrom: PROXY, label: 'kill' });

      // A worker holding batches, frozen so that they are still active when listed: the batches
      // BullMQ names it as having taken (`processedBy` is `host:pid`), read after the freeze.
      const batchesOf = async (worker: NodeProcess) =>
        (await auditor!.jobsIn('active')).filter((job) => job.messages.length > 1 && job.processedBy?.endsWith(`:${worker.pid}`));
      const { victim, batchesAtKill } = await waitFor('a tenth answered, and a worker frozen holding batches', async () => {
        if (calls().filter((call) => call.answeredAt).length < total / 10) return false;
        for (const worker of pipeline!.workers) {
          if ((await batchesOf(worker)).length === 0) continue;
          worker.signal('SIGSTOP');
          const held = await batchesOf(worker);
          if (held.length > 0) return { victim: worker, batchesAtKill: held };
          worker.signal('SIGCONT');
        }
        return false;
      });
      expect((await victim.stop('SIGKILL')).signal).toBe('SIGKILL');
      expect(calls().filter((call) => call.answeredAt).length, 'the kill landed mid-run').toBeLessThan(total);

      const result = await load.done;
      expect(result.statuses).toEqual({ 202: total });
      addSent(sent, result.accepted);
      const audit = await auditor!.auditWhenDrained(result.accepted);
      expect(audit).toMatchObject({ accepted: total, missing: [], duplicated: [], notCompleted: [], unacknowledged: 0 });
      expect(audit.queue).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });

      // The killed worker's batches (stalled, then run by the survivor) and the calls made twice.
      const stalled = await auditor!.timesStalled(batchesAtKill);
      const runAgain = batchesAtKill.filter((_, index) => stalled[index]! > 0);
      const callsOf = new Map<string, number>();
      for (const call of calls()) callsOf.set(call.id, (callsOf.get(call.id) ?? 0) + 1);
      const again = (ids: string[]) => ids.reduce((sum, id) => sum + (callsOf.get(id) ?? 1) - 1, 0);
      const inRunAgain = runAgain.flatMap((job) => job.messages);
      const after = await messagesPerJob(baseUrl);
      console.info(
        `${FILE}: kill -9 during ${after.messages - before.messages} messages in ${after.jobs - before.jobs} jobs; ` +
          `${batchesAtKill.length} batches active at the kill, ${runAgain.length} of them the killed worker's (${inRunAgain.length} messages, ` +
          `${again(inRunAgain)} called again); ${again([...callsOf.keys()])} calls made again in all`,
      );
      expect(runAgain.length, 'batches the killed worker held ran again').toBeGreaterThan(0);
      // A batch run again skips recorded messages: only those the killed worker had in flight
      // (at most WORKER_CONCURRENCY, alone or in batches) are answered again, however many its
      // batches held. All of one batch may be among them, when the kill came before any answer.
      expect(again([...callsOf.keys()])).toBeLessThanOrEqual(WORKER_CONCURRENCY);

      await counted();
      // Every record, retries included, finished its cross-slot steps: no id left marked uncounted.
      expect(await auditor!.uncountedMarks([...sent.keys()])).toBe(0);
    });
  });
});
