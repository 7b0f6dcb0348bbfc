import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { startPipeline, type Pipeline } from '@msgpipe/testkit/processes';
import { pidsByName } from './proc-stats.js';

export interface PipelineSettings {
  redisUrl: string;
  prefix: string;
  workers: number;
  cpuProfileDir: string | undefined;
  /** Settings on top of the environment's, e.g. ENQUEUE_BATCH_MAX. */
  env?: Record<string, string>;
}

/** Messages and jobs the API has enqueued since it started (its messages-per-job histogram). */
export interface EnqueueCounts {
  messages: number;
  jobs: number;
}

/** A long run's logs: only their tail is kept, for the error when a process fails to start. */
const OUTPUT_KEPT = 4000;

/**
 * The real pipeline as production runs it: the built API and N built workers, each its own
 * process, configured only by environment, with every feature on (the rate limit too, set
 * high enough for the bench's few addresses, and worker metrics).
 */
export class PipelineProcesses {
  private constructor(
    readonly pipeline: Pipeline,
    private readonly adminToken: string,
  ) {}

  static async start({ redisUrl, prefix, workers, cpuProfileDir, env = {} }: PipelineSettings): Promise<PipelineProcesses> {
    // A token of the run's own: the bench's processes are no test's, whatever their port.
    const adminToken = randomBytes(18).toString('base64url');
    const pipeline = await startPipeline({
      redis: redisUrl,
      workers,
      workerMetrics: true,
      env: {
        REDIS_PREFIX: prefix,
        ADMIN_TOKEN: adminToken,
        // The limiter runs on every message as in production (one more script per message),
        // with a limit the bench's few addresses never reach. Set it in the environment to
        // compare: 0 turns it off.
        RATE_LIMIT_PER_MINUTE: process.env.RATE_LIMIT_PER_MINUTE ?? '1000000',
        ...env,
      },
      nodeArgs: cpuProfileDir ? cpuProfileArgs(cpuProfileDir) : undefined,
      outputLimit: OUTPUT_KEPT,
    });
    return new PipelineProcesses(pipeline, adminToken);
  }

  /** From the API's /metrics: how many messages went in how many jobs so far. */
  async enqueueCounts(): Promise<EnqueueCounts> {
    const response = await fetch(`${this.baseUrl}/metrics`, { headers: { authorization: `Bearer ${this.adminToken}` } });
    const text = await response.text();
    const sample = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    return { messages: sample('msgpipe_enqueue_messages_per_job_sum'), jobs: sample('msgpipe_enqueue_messages_per_job_count') };
  }

  get baseUrl(): string {
    return this.pipeline.baseUrl;
  }

  /** Process name → pid, for the CPU and memory figures. */
  get pids(): Map<string, number> {
    return pidsByName(this.pipeline.processes);
  }

  /** SIGTERM: the apps drain and exit, writing any CPU profile. */
  async stop(): Promise<void> {
    await this.pipeline.stop();
  }
}

/** node --cpu-prof into `dir`, one file per process and run. */
function cpuProfileArgs(dir: string): (name: string) => string[] {
  const absolute = resolve(dir);
  mkdirSync(absolute, { recursive: true });
  return (name) => ['--cpu-prof', `--cpu-prof-dir=${absolute}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`];
}
