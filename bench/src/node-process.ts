import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root, from bench/dist/*.js (or bench/src/*.ts under vitest). */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

const OUTPUT_KEPT = 4000;

/** A built app of ours (API or worker) as a child process; its output tail kept for errors. */
export class NodeProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  #output = '';

  constructor(
    readonly name: string,
    script: string,
    env: NodeJS.ProcessEnv,
    nodeArgs: readonly string[] = [],
  ) {
    this.child = spawn(process.execPath, [...nodeArgs, script], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => (this.#output = (this.#output + chunk.toString()).slice(-OUTPUT_KEPT));
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get output(): string {
    return this.#output;
  }

  /** Resolves when the output shows `pattern`; rejects if the process exits or time runs out. */
  async ready(pattern: RegExp, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.#output)) {
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited (${this.child.exitCode}) before it was ready:\n${this.#output}`);
      if (Date.now() > deadline) throw new Error(`${this.name} not ready within ${timeoutMs} ms:\n${this.#output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** SIGTERM (the apps drain and exit, writing any CPU profile), SIGKILL if that takes too long. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(killer);
  }
}
