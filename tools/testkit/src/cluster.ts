import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisServer, runOwned, type RedisServerOptions } from '@msgpipe/redis-server';
import { createTestCertificates, type TestCertificates } from './self-signed-cert.js';
import { Timeouts } from './timeouts.js';
import { waitFor } from './wait-for.js';

const SLOTS = 16_384;

export interface ClusterOptions {
  /** Masters sharing the 16,384 slots (at least 3: redis-cli refuses fewer). Default 3. */
  masters?: number;
  /** Replicas of each master (0 or more). Default 0. */
  replicasPerMaster?: number;
  /**
   * `cluster-node-timeout`: how long a silent node takes to be declared failed, and so how
   * soon a replica takes over. Short by default so failover drills finish in seconds.
   */
  nodeTimeoutMs?: number;
  /**
   * TLS only, everywhere: clients, the cluster bus (`tls-cluster yes`) and replication
   * (`tls-replication yes`); no plain port is open. The cluster makes its own CA and node
   * certificate (removed by stop()); clients must trust `caFile`, e.g. via NODE_EXTRA_CA_CERTS.
   * Default false.
   */
  tls?: boolean;
  /** Users instead of the passwordless `default` user. Default: none. */
  acl?: ClusterAcl;
}

/** ACL users every node loads, and the one the testkit itself works as. */
export interface ClusterAcl {
  /**
   * `user …` lines in redis.conf syntax, loaded by every node (e.g. the filled-in
   * deploy/redis-acl.conf plus an administrator). Comments are allowed.
   */
  users: string;
  /**
   * One of `users` allowed everything (`~* &* +@all`): `redis-cli --cluster create`, the
   * health checks, cli() and the replicas' `masteruser`/`masterauth` run as this user.
   */
  admin: { username: string; password: string };
}

/** One node as the cluster sees it right now (roles change on failover). */
export interface ClusterNode {
  id: string;
  host: string;
  port: number;
  role: 'master' | 'replica';
  /** For a replica, the id of its master. */
  masterId: string | undefined;
  /** Inclusive slot ranges this master serves. */
  slots: Array<[number, number]>;
  /** Flagged `fail` (or `fail?`) by the node asked. */
  failing: boolean;
  /** The process behind it, for signals and stop(). */
  server: RedisServer;
}

/**
 * A real Redis Cluster of redis-server processes on free ports, each with its own temporary
 * directory (removed by stop()). Roles and slots are always read from the live cluster, so
 * they stay right after a failover.
 */
export class TestCluster {
  private constructor(
    readonly servers: readonly RedisServer[],
    private readonly dir: string,
    private readonly certificates: TestCertificates | undefined,
    private readonly admin: ClusterAcl['admin'] | undefined,
  ) {}

  static async start({ masters = 3, replicasPerMaster = 0, nodeTimeoutMs = 1000, tls = false, acl }: ClusterOptions = {}): Promise<TestCluster> {
    // Redis asks a node connecting to the cluster bus for a certificate, whatever tls-auth-clients says.
    const certificates = tls ? createTestCertificates({ clientAuth: true }) : undefined;
    const dir = mkdtempSync(join(tmpdir(), 'msgpipe-cluster-'));
    const configFile = acl ? join(dir, 'users.conf') : undefined;
    if (configFile && acl) {
      // In a file rather than on the command line, where `ps` would show the admin's password.
      const { username, password } = acl.admin;
      writeFileSync(configFile, `${acl.users}\nmasteruser ${username}\nmasterauth ${password}\n`, { mode: 0o600 });
    }
    const count = masters * (1 + replicasPerMaster);
    const started = await Promise.allSettled(
      Array.from({ length: count }, (_, index) => {
        const nodeDir = join(dir, `node-${index}`);
        mkdirSync(nodeDir);
        const options: RedisServerOptions = {
          dir: nodeDir,
          settings: {
            'cluster-enabled': 'yes',
            'cluster-config-file': join(nodeDir, 'nodes.conf'),
            'cluster-node-timeout': String(nodeTimeoutMs),
            'cluster-announce-ip': '127.0.0.1',
          },
        };
        if (configFile) {
          options.configFile = configFile;
          // A config file turns off RedisServer's no-persistence defaults: keep them.
          options.settings = { ...options.settings, save: '', appendonly: 'no' };
        }
        if (certificates) {
          options.tls = certificates;
          options.settings = { ...options.settings, 'tls-cluster': 'yes', 'tls-replication': 'yes' };
        }
        return RedisServer.start(options);
      }),
    );
    const servers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const cluster = new TestCluster(servers, dir, certificates, acl?.admin);
    try {
      const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) throw failed.reason;
      await runOwned(
        'redis-cli',
        [
          ...cluster.#connectionArgs(),
          '--cluster',
          'create',
          ...servers.map((server) => `${server.host}:${server.port}`),
          '--cluster-replicas',
          String(replicasPerMaster),
          '--cluster-yes',
        ],
        { timeoutMs: Timeouts.hook, env: cluster.#cliEnv() },
      );
      await cluster.waitUntilHealthy();
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  /** REDIS_CLUSTER_NODES: every node, `host:port,…`. */
  get nodes(): string {
    return this.servers.map((server) => `${server.host}:${server.port}`).join(',');
  }

  /**
   * A REDIS_URL for the apps (they take credentials from it; the nodes come from `nodes`):
   * `rediss://` with `tls`, and no user (see urlAs()).
   */
  get url(): string {
    return this.servers[0]!.url;
  }

  /** `url` with a user of the ACL, e.g. `rediss://msgpipe:PASSWORD@127.0.0.1:PORT`. */
  urlAs(username: string, password: string): string {
    const url = new URL(this.url);
    url.username = encodeURIComponent(username);
    url.password = encodeURIComponent(password);
    return url.toString().replace(/\/$/, '');
  }

  /** The CA that signed the nodes' certificate, with `tls`: what clients must trust. */
  get caFile(): string | undefined {
    return this.certificates?.caFile;
  }

  /** Runs a redis-cli command against one node (as the ACL's admin, over TLS if so) and returns its raw reply. */
  async cli(server: RedisServer, ...args: string[]): Promise<string> {
    const { stdout } = await runOwned('redis-cli', ['-h', server.host, '-p', String(server.port), ...this.#connectionArgs(), ...args], {
      timeoutMs: Timeouts.request,
      env: this.#cliEnv(),
    });
    return stdout;
  }

  /** Every node with its current role and slots, as seen by the first node still running. */
  async topology(): Promise<ClusterNode[]> {
    const asked = this.#running()[0];
    if (!asked) throw new Error('no cluster node is running');
    return parseClusterNodes(await this.cli(asked, 'CLUSTER', 'NODES'), this.servers);
  }

  async masters(): Promise<ClusterNode[]> {
    return (await this.topology()).filter((node) => node.role === 'master' && node.slots.length > 0);
  }

  async keySlot(key: string): Promise<number> {
    return Number((await this.cli(this.#running()[0]!, 'CLUSTER', 'KEYSLOT', key)).trim());
  }

  /** The master serving a key's slot now. */
  async masterFor(key: string): Promise<ClusterNode> {
    const slot = await this.keySlot(key);
    const master = (await this.masters()).find((node) => node.slots.some(([from, to]) => slot >= from && slot <= to));
    if (!master) throw new Error(`no master serves slot ${slot} (key ${key})`);
    return master;
  }

  /**
   * Waits until every running node reports `cluster_state:ok` with all slots served by
   * reachable masters, knows every running node, and every replica is in sync with its master.
   */
  async waitUntilHealthy(timeoutMs = Timeouts.hook): Promise<void> {
    await waitFor(
      'the cluster to be ok on every node',
      async () => {
        const running = this.#running();
        for (const server of running) {
          const info = await this.cli(server, 'CLUSTER', 'INFO');
          if (!/cluster_state:ok/.test(info) || !info.includes(`cluster_slots_ok:${SLOTS}`)) return false;
          const known = parseClusterNodes(await this.cli(server, 'CLUSTER', 'NODES'), this.servers).filter((node) => !node.failing);
          if (running.some((other) => !known.some((node) => node.port === other.port))) return false;
          if (/role:slave/.test(await this.cli(server, 'INFO', 'replication'))) {
            if (!/master_link_status:up/.test(await this.cli(server, 'INFO', 'replication'))) return false;
          }
        }
        return true;
      },
      { timeoutMs, intervalMs: 100 },
    );
  }

  /** Stops every node (a killed one included) and removes their directories. */
  async stop(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.stop(2000)));
    rmSync(this.dir, { recursive: true, force: true });
    this.certificates?.remove();
  }

  /** redis-cli's TLS and user arguments; none for a plain, passwordless cluster. */
  #connectionArgs(): string[] {
    return [...(this.certificates ? ['--tls', '--cacert', this.certificates.caFile] : []), ...(this.admin ? ['--user', this.admin.username] : [])];
  }

  /** The admin's password goes to redis-cli through REDISCLI_AUTH, never its command line. */
  #cliEnv(): NodeJS.ProcessEnv | undefined {
    return this.admin ? { ...process.env, REDISCLI_AUTH: this.admin.password } : undefined;
  }

  #running(): RedisServer[] {
    return this.servers.filter((server) => server.running);
  }
}

/** Starts a real cluster; see TestCluster. */
export function startCluster(options: ClusterOptions = {}): Promise<TestCluster> {
  return TestCluster.start(options);
}

/** CLUSTER NODES lines: `id host:port@cport flags master ping pong epoch link slot…`. */
function parseClusterNodes(text: string, servers: readonly RedisServer[]): ClusterNode[] {
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      const [id, address, flags, master, , , , , ...slotFields] = line.trim().split(' ');
      const endpoint = address!.split('@')[0]!;
      const colon = endpoint.lastIndexOf(':');
      const port = Number(endpoint.slice(colon + 1));
      const server = servers.find((candidate) => candidate.port === port);
      if (!server) return [];
      const flagList = flags!.split(',');
      const slots = slotFields
        .filter((field) => !field.startsWith('[')) // slots being migrated
        .map((field): [number, number] => {
          const [from, to] = field.split('-').map(Number);
          return [from!, to ?? from!];
        });
      return [
        {
          id: id!,
          host: endpoint.slice(0, colon) || server.host,
          port,
          role: flagList.includes('master') ? 'master' : 'replica',
          masterId: master === '-' ? undefined : master,
          slots,
          failing: flagList.includes('fail') || flagList.includes('fail?'),
          server,
        },
      ];
    });
}
