import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { runOwned } from '@msgpipe/redis-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from './cluster.js';
import { Timeouts } from './timeouts.js';


/** redis-cli without the cluster's TLS or user arguments: what a stranger gets. */
async function stranger(port: number, ...args: string[]): Promise<string> {
  const { stdout, stderr } = await runOwned('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeoutMs: Timeouts.request }).catch(
    (error: { stdout?: string; stderr?: string }) => ({ stdout: error.stdout ?? '', stderr: error.stderr ?? '' }),
  );
  return `${stdout}${stderr}`;
}

describe('startCluster with tls and acl: 3 masters, 3 replicas', () => {
  const adminPassword = randomBytes(18).toString('hex');
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster({
      masters: 3,
      replicasPerMaster: 1,
      tls: true,
      acl: {
        users: `user default off\nuser admin on >${adminPassword} ~* &* +@all\n`,
        admin: { username: 'admin', password: adminPassword },
      },
    });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('forms over TLS, replicas in sync as the admin user (masteruser/masterauth)', async () => {
    const nodes = await cluster.topology();
    expect(nodes.filter((node) => node.role === 'master' && node.slots.length > 0)).toHaveLength(3);
    expect(nodes.filter((node) => node.role === 'replica')).toHaveLength(3);
    for (const server of cluster.servers) {
      const settings = await cluster.cli(server, 'CONFIG', 'GET', '*');
      for (const [name, value] of [['port', '0'], ['tls-port', String(server.port)], ['tls-cluster', 'yes'], ['tls-replication', 'yes'], ['masteruser', 'admin']]) {
        expect(settings, `${server.port} ${name}`).toMatch(new RegExp(`^${name}\\n${value}$`, 'm'));
      }
      const replication = await cluster.cli(server, 'INFO', 'replication');
      if (/role:slave/.test(replication)) expect(replication).toMatch(/master_link_status:up/);
    }
  });

  it('gives rediss:// URLs, a CA, and every node in `nodes`', () => {
    expect(cluster.url).toBe(`rediss://127.0.0.1:${cluster.servers[0]!.port}`);
    expect(cluster.urlAs('msgpipe', 'p@ss:w/rd')).toBe(`rediss://msgpipe:p%40ss%3Aw%2Frd@127.0.0.1:${cluster.servers[0]!.port}`);
    expect(existsSync(cluster.caFile!)).toBe(true);
    expect(cluster.nodes.split(',')).toEqual(cluster.servers.map((server) => `127.0.0.1:${server.port}`));
  });

  it('lets no one in without TLS, and no one over TLS without a user', async () => {
    const port = cluster.servers[0]!.port;
    expect(await stranger(port, 'PING')).not.toMatch(/PONG/);
    expect(await stranger(port, '--tls', '--cacert', cluster.caFile!, 'PING')).toMatch(/NOAUTH/);
  });

  it('removes its directories and certificates on stop()', async () => {
    const caFile = cluster.caFile!;
    const dirs = cluster.servers.map((server) => server.dir);
    await cluster.stop();
    expect(existsSync(caFile)).toBe(false);
    for (const dir of dirs) expect(existsSync(dir)).toBe(false);
  });
});

describe('startCluster by default', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('is plain and passwordless, as before', async () => {
    expect(cluster.url).toBe(`redis://127.0.0.1:${cluster.servers[0]!.port}`);
    expect(cluster.caFile).toBeUndefined();
    expect(await cluster.masters()).toHaveLength(3);
    expect((await stranger(cluster.servers[0]!.port, 'PING')).trim()).toBe('PONG');
  });
});
