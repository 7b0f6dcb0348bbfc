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
}

/** A long run's logs: only their tail is kept, for the error when a process fails to start. */
const OUTPUT_KEPT = 4000;

/**
 * The real pipeline as production runs it: the built API and N built workers, each its own
 * process, configured only by environment, with every feature on (the rate limit too, set
 * high enough for the bench's few addresses, and worker metrics).
 */
export class PipelineProcesses {
  private constructor(readonly pipeline: Pipeline) {}

  static async start({ redisUrl, prefix, workers, cpuProfileDir }: PipelineSettings): Promise<PipelineProcesses> {
    const pipeline = await startPipeline({
      redis: redisUrl,
      workers,
      workerMetrics: true,
      env: {
        REDIS_PREFIX: prefix,
        // A token of the run's own: the bench's processes are no test's, whatever their port.
        ADMIN_TOKEN: randomBytes(18).toString('base64url'),
        // The limiter runs on every message as in production (one more script per message),
        // with a limit the bench's few addresses never reach. Set it in the environment to
        // compare: 0 turns it off.
        RATE_LIMIT_PER_MINUTE: process.env.RATE_LIMIT_PER_MINUTE ?? '1000000',
      },
      nodeArgs: cpuProfileDir ? cpuProfileArgs(cpuProfileDir) : undefined,
      outputLimit: OUTPUT_KEPT,
    });
    return new PipelineProcesses(pipeline);
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
