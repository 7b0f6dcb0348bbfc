import { freePort, type RedisServer } from '@msgpipe/redis-server';
import { ADMIN_TOKEN } from './admin-token.js';
import { childEnv, withOverrides, type EnvOverrides } from './child-env.js';
import type { TestCluster } from './cluster.js';
import { request } from './http.js';
import { NodeProcess } from './node-process.js';
import { API_MAIN, WORKER_MAIN } from './repo-paths.js';
import { Timeouts } from './timeouts.js';
import { uniquePrefix } from './unique-prefix.js';
import { waitFor } from './wait-for.js';

/** How much of a process's output a start-up error quotes. */
const OUTPUT_QUOTED = 2000;

/** Where the processes' Redis is: a server (or the URL) of one Redis, or a cluster. */
export type PipelineRedis = { redis: RedisServer | string; cluster?: never } | { cluster: TestCluster; redis?: never };

export type PipelineOptions = PipelineRedis & {
  /** Worker processes started with the API. Default 1. */
  workers?: number;
  /**
   * On top of the harness's own settings (REDIS_URL, REDIS_PREFIX, PORT, ADMIN_TOKEN, …), and
   * over them: undefined removes a variable.
   */
  env?: EnvOverrides;
  /** Give every worker a WORKER_METRICS_PORT of its own (see metricsUrlOf). Default false. */
  workerMetrics?: boolean;
  /**
   * Wait until the API answers /readyz and every worker consumes (default); false: only until
   * the API listens, for a Redis the processes cannot use.
   */
  ready?: boolean;
  /** Node's own flags for each process, by its name (api, api-2, worker-1, …), e.g. --cpu-prof. */
  nodeArgs?: (name: string) => readonly string[];
  /** Names the default REDIS_PREFIX. */
  label?: string;
  /** Keep only the last this many characters of each process's output. Default: all of it. */
  outputLimit?: number;
};

/**
 * The built API and workers (apps/api/dist, apps/worker/dist) as production runs them: separate
 * processes configured only by environment, on one Redis or cluster. Start it with
 * startPipeline; kill() or stop() it in the test's teardown.
 */
export class Pipeline {
  readonly #processes: NodeProcess[] = [];
  readonly #workers: NodeProcess[] = [];
  readonly #metricsUrls = new Map<NodeProcess, string>();
  #api: NodeProcess | undefined;
  #apiStarts = 0;

  private constructor(
    readonly baseUrl: string,
    readonly prefix: string,
    /** The environment every process starts with; a worker's WORKER_METRICS_PORT aside. */
    readonly env: NodeJS.ProcessEnv,
    private readonly options: PipelineOptions,
  ) {}

  static async start(options: PipelineOptions): Promise<Pipeline> {
    const port = await freePort();
    const prefix = options.env?.REDIS_PREFIX ?? uniquePrefix(options.label ?? 'pipeline');
    const env = childEnv({
      REDIS_URL: options.cluster ? options.cluster.url : typeof options.redis === 'string' ? options.redis : options.redis.url,
      REDIS_CLUSTER_NODES: options.cluster?.nodes,
      REDIS_PREFIX: prefix,
      HOST: '127.0.0.1',
      PORT: String(port),
      ADMIN_TOKEN,
      ...options.env,
    });
    const pipeline = new Pipeline(`http://127.0.0.1:${port}`, prefix, env, options);
    try {
      await Promise.all([pipeline.#startApi(), ...Array.from({ length: options.workers ?? 1 }, () => pipeline.startWorker())]);
    } catch (error) {
      await pipeline.kill();
      throw error;
    }
    return pipeline;
  }

  /** The API and every worker started, in order, those since stopped and restarted included. */
  get processes(): readonly NodeProcess[] {
    return this.#processes;
  }

  /** The API process now serving baseUrl. */
  get api(): NodeProcess {
    return this.#api!;
  }

  /** Every worker started, in order, those since stopped included. */
  get workers(): readonly NodeProcess[] {
    return this.#workers;
  }

  get adminToken(): string | undefined {
    return this.env.ADMIN_TOKEN;
  }

  /** Where a worker started with a WORKER_METRICS_PORT serves its /metrics. */
  metricsUrlOf(worker: NodeProcess): string {
    const url = this.#metricsUrls.get(worker);
    if (!url) throw new Error(`${worker.name} was started without a WORKER_METRICS_PORT`);
    return url;
  }

  /** Starts one more worker, `env` on top of the pipeline's; resolves once it consumes (with `ready`). */
  async startWorker(env: EnvOverrides = {}): Promise<NodeProcess> {
    const metricsPort = this.options.workerMetrics && !('WORKER_METRICS_PORT' in env) ? String(await freePort()) : undefined;
    const workerEnv = withOverrides(this.env, { ...(metricsPort && { WORKER_METRICS_PORT: metricsPort }), ...env });
    // Named after the await: workers started side by side each get a number of their own.
    const worker = this.#spawn(`worker-${this.#workers.length + 1}`, WORKER_MAIN, workerEnv);
    this.#workers.push(worker);
    if (workerEnv.WORKER_METRICS_PORT) this.#metricsUrls.set(worker, `http://127.0.0.1:${workerEnv.WORKER_METRICS_PORT}`);
    if (this.options.ready !== false) await worker.waitForOutput(/worker consuming/);
    return worker;
  }

  /**
   * Stops the API (SIGTERM, as a deploy does; at once if it already ended) and starts it again
   * on the same port, `env` on top of the pipeline's, e.g. another QUEUE_PARTITIONS.
   */
  async restartApi(env: EnvOverrides = {}): Promise<NodeProcess> {
    await this.#api?.stop('SIGTERM');
    return this.#startApi(env);
  }

  /** Kills every process (SIGKILL): the quick teardown. */
  async kill(): Promise<void> {
    await Promise.all(this.#processes.map((child) => child.kill()));
  }

  /** SIGTERM to every process, so each drains and exits (SIGKILL for any that takes too long). */
  async stop(): Promise<void> {
    await Promise.all(this.#processes.map((child) => child.stop('SIGTERM')));
  }

  /** Everything every process wrote, each under its name. */
  logs(): string {
    return this.#processes.map((child) => `--- ${child.name} ---\n${child.output}`).join('\n');
  }

  async #startApi(env: EnvOverrides = {}): Promise<NodeProcess> {
    this.#apiStarts++;
    const api = this.#spawn(this.#apiStarts === 1 ? 'api' : `api-${this.#apiStarts}`, API_MAIN, withOverrides(this.env, env));
    this.#api = api;
    await api.waitForOutput(/api listening/);
    if (this.options.ready === false) return api;
    // Without Redis it still listens after a few seconds, and rightly answers 503 until Redis is up.
    const ready = waitFor(
      () => `${api.name} to answer /readyz with 200; its output ends:\n${api.output.slice(-OUTPUT_QUOTED)}`,
      async () => (await request(this.baseUrl, '/readyz')).status === 200,
      { timeoutMs: Timeouts.processStart },
    );
    const ended = api.exited.then(({ code, signal }) => {
      throw new Error(`${api.name} ended (${signal ?? `exit code ${code}`}) before it was ready; its output ends:\n${api.output.slice(-OUTPUT_QUOTED)}`);
    });
    await Promise.race([ready, ended]);
    return api;
  }

  #spawn(name: string, script: string, env: NodeJS.ProcessEnv): NodeProcess {
    const child = new NodeProcess(script, env, { name, nodeArgs: this.options.nodeArgs?.(name), outputLimit: this.options.outputLimit });
    this.#processes.push(child);
    return child;
  }
}

/** Starts the built API and workers on `redis` or `cluster`; see Pipeline and PipelineOptions. */
export function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  return Pipeline.start(options);
}
