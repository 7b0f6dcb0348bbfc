import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisServer } from '@msgpipe/redis-server';
import { startPipeline, uniquePrefix, type NodeProcess, type Pipeline } from '@msgpipe/testkit';
import { Auditor } from '../audit.js';

/** Above any one IP's share of a fault test's load, so the audit sees every entry. */
export const HISTORY_MAX_ENTRIES = 1000;

export interface RigOptions {
  label: string;
  /** redis-server settings, e.g. appendonly. */
  redisSettings?: Record<string, string>;
  /** Environment for the API and workers on top of the rig's own. */
  env?: Record<string, string>;
  workers?: number;
  /** Give every worker a WORKER_METRICS_PORT of its own (see Pipeline.metricsUrlOf). */
  workerMetrics?: boolean;
}

/**
 * One fault test's world: a redis-server of its own (own port and data directory, so it can
 * be killed and started again on both), the built API and workers on it, and an auditor.
 */
export class FaultRig {
  readonly #dir = mkdtempSync(join(tmpdir(), 'msgpipe-faults-'));
  #redis: RedisServer | undefined;
  #pipeline: Pipeline | undefined;
  #auditor: Auditor | undefined;

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
    this.#redis = await RedisServer.start({ dir: this.#dir, settings: this.options.redisSettings });
    const prefix = uniquePrefix(`faults-${this.options.label}`);
    this.#auditor = new Auditor(this.#redis.url, prefix, HISTORY_MAX_ENTRIES);
    this.#pipeline = await startPipeline({
      redis: this.#redis,
      workers: this.options.workers ?? 1,
      workerMetrics: this.options.workerMetrics,
      env: {
        REDIS_PREFIX: prefix,
        RATE_LIMIT_PER_MINUTE: '0',
        HISTORY_MAX_ENTRIES: String(HISTORY_MAX_ENTRIES),
        WORKER_CONCURRENCY: '20',
        // A dead worker's jobs run again once their lock expires: keep that short here.
        JOB_LOCK_MS: '2000',
        ...this.options.env,
      },
    });
  }

  get redis(): RedisServer {
    return this.#redis!;
  }

  get pipeline(): Pipeline {
    return this.#pipeline!;
  }

  get auditor(): Auditor {
    return this.#auditor!;
  }

  get baseUrl(): string {
    return this.pipeline.baseUrl;
  }

  get api(): NodeProcess {
    return this.pipeline.api;
  }

  get workers(): readonly NodeProcess[] {
    return this.pipeline.workers;
  }

  /** Every process the rig started, restarted ones included. */
  get processes(): readonly NodeProcess[] {
    return this.pipeline.processes;
  }

  /** Starts redis-server again on the same port and data directory (after a kill or stop). */
  async restartRedis(): Promise<void> {
    await this.redis.exited;
    this.#redis = await RedisServer.start({ port: this.redis.port, dir: this.#dir, settings: this.options.redisSettings });
  }

  async stop(): Promise<void> {
    this.#auditor?.close();
    await this.#pipeline?.kill();
    await this.#redis?.stop(2000);
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
