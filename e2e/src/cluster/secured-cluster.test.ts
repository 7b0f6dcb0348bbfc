import { randomBytes } from 'node:crypto';
import {
  asAdmin,
  clientIps,
  createTestCertificates,
  openEventStream,
  postMessage,
  request,
  startCluster,
  startPipeline,
  waitFor,
  type Pipeline,
  type TestCertificates,
  type TestCluster,
} from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aclConfig } from '../secured-pipeline.js';
import { expectExactlyOnce, sendFromEach } from './traffic.js';

/**
 * The product on a 3-master Redis Cluster over TLS only (client port, cluster bus and
 * replication), as the least-privilege `msgpipe` user of deploy/redis-acl.conf.
 */

const PARTITIONS = 3;
const IPS = clientIps(25, 24);
const PER_IP = 5;

/**
 * What ioredis's Cluster runs beyond a standalone connection: CLUSTER SLOTS to learn which node
 * serves which slot, CLUSTER INFO as its ready check (`cluster_state:ok`). deploy/redis-acl.conf
 * grants both; a user without them is the last case below.
 */
const CLUSTER_GRANTS = ['cluster|slots', 'cluster|info'];

/** Anything in a log that means Redis refused us something, TLS went wrong or the cluster was unreachable. */
const TROUBLE = /NOPERM|can't run this command|can't access|certificate|CERT_|SSL|TLS|ECONNRESET|EPROTO|handshake|Failed to refresh slots cache|redis connection error|"level":(50|60)/i;

const secret = () => randomBytes(18).toString('hex');

describe('msgpipe on a 3-master Redis Cluster over TLS, as the msgpipe ACL user', () => {
  const password = secret();
  const adminPassword = secret();
  let cluster: TestCluster;
  let otherCa: TestCertificates;
  const pipelines: Pipeline[] = [];
  /** Every response body the tests saw, for the password check. */
  const seen: string[] = [];

  beforeAll(async () => {
    const shipped = aclConfig(password, adminPassword); // the file's lines, hash filled in, plus `user admin … +@all`
    const msgpipeLine = shipped.match(/^user msgpipe .*$/m)![0];
    const withoutClusterGrants = CLUSTER_GRANTS.reduce((line, command) => line.replace(` +${command}`, ''), msgpipeLine);
    expect(withoutClusterGrants).not.toBe(msgpipeLine);
    const users = [
      shipped,
      // The shipped line without the CLUSTER grants, under another name: what the file used to say.
      withoutClusterGrants.replace(/^user msgpipe /, 'user msgpipe-no-cluster '),
    ].join('\n');
    cluster = await startCluster({ masters: 3, tls: true, acl: { users, admin: { username: 'admin', password: adminPassword } } });
    otherCa = createTestCertificates({ caName: 'some other CA' });
  });

  afterAll(async () => {
    await Promise.all(pipelines.map((pipeline) => pipeline.kill()));
    await cluster?.stop();
    otherCa?.remove();
  });

  async function start(caFile: string, { ready = true, user = 'msgpipe' } = {}): Promise<Pipeline> {
    const pipeline = await startPipeline({
      cluster,
      workers: 2,
      ready,
      env: {
        REDIS_URL: cluster.urlAs(user, password),
        NODE_EXTRA_CA_CERTS: caFile,
        REDIS_PREFIX: 'msgpipe', // the ACL's key and channel patterns are `msgpipe:*`
        RATE_LIMIT_PER_MINUTE: '0',
        QUEUE_PARTITIONS: String(PARTITIONS),
        WORKER_CONCURRENCY: '10',
      },
    });
    pipelines.push(pipeline);
    return pipeline;
  }

  function expectNoPasswords(pipeline: Pipeline): void {
    const everything = [pipeline.logs(), ...seen].join('\n');
    for (const secretValue of [password, adminPassword]) {
      expect(everything.includes(secretValue), `a password appeared in the output:\n${everything}`).toBe(false);
    }
  }

  describe('with the cluster’s CA in NODE_EXTRA_CA_CERTS', () => {
    let pipeline: Pipeline;
    beforeAll(async () => {
      pipeline = await start(cluster.caFile!);
    });

    it('gives the processes a rediss:// URL with the msgpipe user and every node, and logs it without the password', () => {
      expect(cluster.nodes.split(',')).toHaveLength(3);
      for (const process of pipeline.processes) expect(process.output).toMatch(/"redis":"rediss:\/\/msgpipe:\*\*\*@127\.0\.0\.1:\d+"/);
    });

    it('answers every message from 24 IPs exactly once in their histories, and /v1/stats counts them', async () => {
      const sent = await sendFromEach(pipeline.baseUrl, IPS, PER_IP);
      await expectExactlyOnce(pipeline.baseUrl, sent);
    });

    it('answers through ?wait and the live stream (pub/sub over the cluster), and serves the dashboard', async () => {
      const ip = '127.25.100.1';
      const stream = await waitFor('the event stream to open', async () => {
        const opened = await openEventStream(pipeline.baseUrl, '/v1/stream', { localAddress: ip });
        if (opened.status === 200) return opened;
        opened.close();
        return undefined;
      });
      try {
        const answered = await request(pipeline.baseUrl, '/v1/messages?wait=10000', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ message: 'hello over a secured cluster' }),
          localAddress: ip,
        });
        seen.push(answered.text);
        expect(answered.status, answered.text).toBe(200);
        expect(answered.json()).toMatchObject({ status: 'completed', ip, response: `Hello, user from ${ip}!` });
        const [event] = await stream.take(1);
        expect(event!.id).toBe(answered.json().id);
      } finally {
        stream.close();
      }
      for (const path of ['/admin', '/admin/queues', '/admin/queues/api/queues?activeQueue=messages&status=completed', '/admin/queues/api/redis/stats', '/readyz']) {
        const response = await request(pipeline.baseUrl, path, { headers: asAdmin });
        seen.push(response.text);
        expect(response.status, `${path}: ${response.text}`).toBe(200);
      }
    });

    it('was denied nothing on any node (ACL LOG, read as admin), and only msgpipe connected', async () => {
      for (const server of cluster.servers) {
        expect((await cluster.cli(server, 'ACL', 'LOG')).trim(), `ACL LOG of ${server.port}`).toBe('');
        const clients = await cluster.cli(server, 'CLIENT', 'LIST');
        expect(clients).toMatch(/user=msgpipe /);
        expect(clients).not.toMatch(/user=default /);
      }
    });

    it('logged no denial, TLS or certificate error and no password in API or workers', () => {
      for (const process of pipeline.processes) expect(process.output).not.toMatch(TROUBLE);
      expectNoPasswords(pipeline);
    });
  });

  /** While the cluster refuses the processes: POST and /readyz answer 503 at once, and no worker consumes. */
  async function expectUnavailable(pipeline: Pipeline, ip: string): Promise<void> {
    const started = performance.now();
    const posted = await postMessage(pipeline.baseUrl, 'refused?', { localAddress: ip });
    const ready = await request(pipeline.baseUrl, '/readyz');
    seen.push(posted.text, ready.text);
    expect(performance.now() - started).toBeLessThan(4000); // two requests, each within 2 s
    expect(posted.status, posted.text).toBe(503);
    expect(posted.json().error.code).toBe('unavailable');
    expect(posted.headers['retry-after']).toBe('2');
    expect(ready.status).toBe(503);
    for (const worker of pipeline.workers) expect(worker.output).not.toMatch(/worker consuming/);
    expectNoPasswords(pipeline);
  }

  /** The first `redis connection error` line of each process (API and workers). */
  async function firstConnectionErrors(pipeline: Pipeline): Promise<string[]> {
    return Promise.all(pipeline.processes.map(async (process) => (await process.waitForOutput(/.*redis connection error.*/))[0]));
  }

  describe('with another CA in NODE_EXTRA_CA_CERTS', () => {
    let pipeline: Pipeline;
    beforeAll(async () => {
      pipeline = await start(otherCa.caFile, { ready: false });
    });

    it('answers POST and /readyz 503 quickly, never hangs, and the workers never consume', async () => {
      await expectUnavailable(pipeline, '127.25.200.1');
    });

    // ioredis's Cluster learns the slots over connections whose errors it drops: the product
    // finds the cause with a connection of its own, so the failures after the first say it.
    it('logs that the certificate is not trusted, and how to trust its CA, in the API and the workers', async () => {
      for (const process of pipeline.processes) {
        await process.waitForOutput(/Failed to refresh slots cache\..* -- Redis TLS certificate not trusted \([A-Z_]+\).*NODE_EXTRA_CA_CERTS/);
      }
    });
  });

  describe('as a user without the CLUSTER grants (the shipped line before they were added)', () => {
    let pipeline: Pipeline;
    beforeAll(async () => {
      pipeline = await start(cluster.caFile!, { ready: false, user: 'msgpipe-no-cluster' });
    });

    it('the shipped msgpipe user may run what ioredis’s Cluster needs, and this one may not', async () => {
      for (const command of CLUSTER_GRANTS) {
        const dryRun = (user: string) => cluster.cli(cluster.servers[0]!, 'ACL', 'DRYRUN', user, ...command.split('|'));
        expect((await dryRun('msgpipe')).trim(), command).toBe('OK');
        expect((await dryRun('msgpipe-no-cluster')).trim(), command).not.toBe('OK');
      }
    });

    it('answers POST and /readyz 503 quickly, never hangs, and the workers never consume', async () => {
      await expectUnavailable(pipeline, '127.25.201.1');
    });

    it('logs the refused command with the ACL hint pointing at deploy/redis-acl.conf, in the API and the workers', async () => {
      for (const line of await firstConnectionErrors(pipeline)) {
        expect(line).toMatch(/NOPERM.*cluster\|slots.*deploy\/redis-acl\.conf/);
      }
    });
  });
});
