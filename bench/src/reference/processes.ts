import { freePort } from '@msgpipe/redis-server';
import { NodeProcess } from '@msgpipe/testkit/processes';
import { pidsByName } from '../proc-stats.js';

/**
 * The reference pipeline (reference/api.ts and reference/worker.ts, built) as two processes,
 * shaped like PipelineProcesses so the same phases drive it.
 */
export class ReferenceProcesses {
  private constructor(
    readonly processes: readonly NodeProcess[],
    readonly baseUrl: string,
  ) {}

  static async start(redisUrl: string, prefix: string): Promise<ReferenceProcesses> {
    const port = await freePort();
    const env = { ...process.env, REDIS_URL: redisUrl, REDIS_PREFIX: prefix, PORT: String(port) };
    const api = new NodeProcess('bench/dist/reference/api.js', env, { name: 'reference-api' });
    const worker = new NodeProcess('bench/dist/reference/worker.js', env, { name: 'reference-worker' });
    const reference = new ReferenceProcesses([api, worker], `http://127.0.0.1:${port}`);
    try {
      await Promise.all([api.waitForOutput(/reference api listening/), worker.waitForOutput(/reference worker consuming/)]);
    } catch (error) {
      await reference.stop();
      throw error;
    }
    return reference;
  }

  get pids(): Map<string, number> {
    return pidsByName(this.processes);
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((child) => child.stop()));
  }
}
