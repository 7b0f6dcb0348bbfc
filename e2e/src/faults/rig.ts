import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, RedisServer } from '@msgpipe/redis-server';
import { request, uniquePrefix, waitFor } from '@msgpipe/testkit';
import { Auditor } from '../audit.js';
import { API_MAIN, childEnv, NodeProcess, WORKER_MAIN } from '../processes.js';

export const ADMIN_TOKEN = 'faults-admin-token-0123456789';
/** Above any one IP's share of a fault test's load, so the audit sees every entry. */
export const HISTORY_MAX_ENTRIES = 1000;

export interface RigOptions {
  label: string;
  /** redis-server settings, e.g. appendonly. */
  redisSettings?: Record<string, string>;
  /** Environment for the API and workers on top of the rig's own. */
  env?: Record<string, string>;
  workers?: number;
}

/**
 * One fault test's world: a redis-server of its own (own port and data directory, so it can
 * be killed and started again on both), the built API and workers, and an auditor.
 */
export class FaultRig {
  redis!: RedisServer;
  api!: NodeProcess;
  readonly workers: NodeProcess[] = [];
  readonly processes: NodeProcess[] = [];
  auditor!: Auditor;
  baseUrl = '';
  env: NodeJS.ProcessEnv = {};
  readonly #dir = mkdtempSync(join(tmpdir(), 'msgpipe-faults-'));

  private constructor(private readonly options: RigOptions) {}

  static async start(options: RigOptions): Promise<FaultRig> {
    const rig = new FaultRig(options);
    try {
      await rig.#start();
    } catch (error) {
      await rig.stop();
      throw error;
    }
    return rig;
  }

  async #start(): Promise<void> {
    this.redis = await RedisServer.start({ dir: this.#dir, settings: this.options.redisSettings });
    const port = await freePort();
    this.baseUrl = `http://127.0.0.1:${port}`;
    const prefix = uniquePrefix(`faults-${this.options.label}`);
    this.env = childEnv({
      REDIS_URL: this.redis.url,
      REDIS_PREFIX: prefix,
      PORT: String(port),
      HOST: '127.0.0.1',
      ADMIN_TOKEN,
      RATE_LIMIT_PER_MINUTE: '0',
      HISTORY_MAX_ENTRIES: String(HISTORY_MAX_ENTRIES),
      WORKER_CONCURRENCY: '20',
      // A dead worker's jobs run again once their lock expires: keep that short here.
      JOB_LOCK_MS: '2000',
      LOG_LEVEL: 'info',
      ...this.options.env,
    });
    this.auditor = new Auditor(this.redis.url, prefix, HISTORY_MAX_ENTRIES);
    await Promise.all([this.startApi(), ...Array.from({ length: this.options.workers ?? 1 }, () => this.startWorker())]);
  }

  async startApi(): Promise<NodeProcess> {
    this.api = this.#spawn(API_MAIN);
    await this.api.waitForOutput(/api listening/);
    // It listens before its Redis connections are up; until then it rightly answers 503.
    await waitFor('the API ready', async () => (await request(this.baseUrl, '/readyz')).status === 200, { timeoutMs: 10_000 });
    return this.api;
  }

  async startWorker(env: Record<string, string> = {}): Promise<NodeProcess> {
    const worker = this.#spawn(WORKER_MAIN, env);
    this.workers.push(worker);
    await worker.waitForOutput(/worker consuming/);
    return worker;
  }

  /** Starts redis-server again on the same port and data directory (after a kill or stop). */
  async restartRedis(): Promise<void> {
    await this.redis.exited;
    this.redis = await RedisServer.start({ port: this.redis.port, dir: this.#dir, settings: this.options.redisSettings });
  }

  #spawn(script: string, env: Record<string, string> = {}): NodeProcess {
    const process = new NodeProcess(script, { ...this.env, ...env });
    this.processes.push(process);
    return process;
  }

  async stop(): Promise<void> {
    this.auditor?.close();
    await Promise.all(this.processes.map((process) => process.stop('SIGKILL')));
    await this.redis?.stop(2000);
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
