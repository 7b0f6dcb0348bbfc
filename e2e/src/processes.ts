import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@msgpipe/testkit';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export const API_MAIN = 'apps/api/dist/main.js';
export const WORKER_MAIN = 'apps/worker/dist/main.js';
export const LAUNCHER_MAIN = 'tools/launcher/dist/main.js';

/** A real Node process of ours, its output kept for assertions and failure messages. */
export class NodeProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output = '';

  constructor(script: string, env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [script], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async waitForOutput(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    return waitFor(`output matching ${pattern} (got: ${this.output.slice(-500)})`, () => this.output.match(pattern) ?? undefined, {
      timeoutMs,
    });
  }

  /** Sends the signal and resolves with how the process ended. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }
}

/** The environment of a child process: ours, minus anything that would point it elsewhere. */
export function childEnv(overrides: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'info' };
  for (const name of ['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_PREFIX', 'ADMIN_TOKEN', 'PORT', 'HOST', 'WORKERS']) delete env[name];
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}
