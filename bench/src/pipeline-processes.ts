import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { freePort } from '@msgpipe/redis-server';
import { NodeProcess } from './node-process.js';

export interface PipelineSettings {
  redisUrl: string;
  prefix: string;
  workers: number;
  cpuProfileDir: string | undefined;
}

/**
 * The real pipeline as production runs it: the built API and N built workers, each its own
 * process, configured only by environment, with every feature on (the rate limit too, set
 * high enough for the bench's few addresses).
 */
export class PipelineProcesses {
  private constructor(
    readonly api: NodeProcess,
    readonly workers: readonly NodeProcess[],
    readonly baseUrl: string,
    readonly adminToken: string,
  ) {}

  static async start({ redisUrl, prefix, workers, cpuProfileDir }: PipelineSettings): Promise<PipelineProcesses> {
    const port = await freePort();
    const adminToken = randomBytes(18).toString('base64url');
    const env = (extra: Record<string, string>): NodeJS.ProcessEnv => {
      const clean = { ...process.env };
      for (const name of ['REDIS_CLUSTER_NODES', 'WORKERS', 'LOG_LEVEL', 'QUEUE_PARTITIONS']) delete clean[name];
      return {
        ...clean,
        NODE_ENV: 'production',
        REDIS_URL: redisUrl,
        REDIS_PREFIX: prefix,
        HOST: '127.0.0.1',
        PORT: String(port),
        ADMIN_TOKEN: adminToken,
        // The limiter runs on every message as in production (one more script per message),
        // with a limit the bench's few addresses never reach. Set it in the environment to
        // compare: 0 turns it off.
        RATE_LIMIT_PER_MINUTE: process.env.RATE_LIMIT_PER_MINUTE ?? '1000000',
        ...extra,
      };
    };
    const nodeArgs = (name: string) => {
      if (!cpuProfileDir) return [];
      const dir = resolve(cpuProfileDir);
      mkdirSync(dir, { recursive: true });
      return ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`];
    };

    const api = new NodeProcess('api', 'apps/api/dist/main.js', env({}), nodeArgs('api'));
    const metricsPorts = await Promise.all(Array.from({ length: workers }, () => freePort()));
    const workerProcesses = metricsPorts.map(
      (metricsPort, index) =>
        new NodeProcess(`worker-${index + 1}`, 'apps/worker/dist/main.js', env({ WORKER_METRICS_PORT: String(metricsPort) }), nodeArgs(`worker-${index + 1}`)),
    );
    const pipeline = new PipelineProcesses(api, workerProcesses, `http://127.0.0.1:${port}`, adminToken);
    try {
      await Promise.all([api.ready(/api listening/), ...workerProcesses.map((worker) => worker.ready(/worker consuming/))]);
    } catch (error) {
      await pipeline.stop();
      throw error;
    }
    return pipeline;
  }

  /** Process name → pid, for the CPU and memory figures. */
  get pids(): Map<string, number> {
    return new Map([this.api, ...this.workers].map((child) => [child.name, child.pid]));
  }

  async stop(): Promise<void> {
    await Promise.all([this.api, ...this.workers].map((child) => child.stop()));
  }
}
