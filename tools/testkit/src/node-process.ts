import type { ChildProcess } from 'node:child_process';
import { spawnOwned } from '@msgpipe/redis-server';
import { repoRoot } from './repo-paths.js';
import { Timeouts } from './timeouts.js';

/** How a process ended: an exit code, or the signal that ended it. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface NodeProcessOptions {
  /** Names the process in errors and logs. Default: the script. */
  name?: string;
  /** Node's own flags, before the script (e.g. --cpu-prof). */
  nodeArgs?: readonly string[];
  /** Keep only the last this many characters of output (a long run's logs). Default: all of it. */
  outputLimit?: number;
}

/** What an error message quotes of the output: enough to see why, short enough to read. */
const TAIL_CHARS = 2000;

/**
 * A Node script of ours (an app's built main.js, the launcher) as a child process, run from the
 * repository root, its output (stdout and stderr) kept for assertions and failure messages. It
 * is spawned through spawnOwned, so it dies with the test process, even one killed half-way.
 */
export class NodeProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves once the process ended and all its output was read. */
  readonly exited: Promise<ProcessExit>;
  readonly #outputLimit: number;
  #output = '';
  /** Called whenever output arrives or the process ends: the pending waitForOutput checks. */
  readonly #listeners = new Set<() => void>();

  constructor(script: string, env: NodeJS.ProcessEnv, { name = script, nodeArgs = [], outputLimit = Infinity }: NodeProcessOptions = {}) {
    this.name = name;
    this.#outputLimit = outputLimit;
    this.child = spawnOwned(process.execPath, [...nodeArgs, script], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (chunk: Buffer) => this.#append(chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => this.#append(chunk.toString()));
    // A failed spawn has no exit code to report; its error belongs in the output.
    this.child.once('error', (error) => this.#append(`\n[${this.name} failed to start: ${error.message}]\n`));
    // 'close', not 'exit': by then every byte the process wrote has been read.
    this.exited = new Promise((resolve) =>
      this.child.once('close', (code, signal) => {
        resolve({ code, signal });
        this.#notify();
      }),
    );
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined;
  }

  /** Everything the process wrote so far (its tail only, with outputLimit). */
  get output(): string {
    return this.#output;
  }

  /**
   * Resolves with the first match of `pattern` in the output, as soon as it is there. Rejects
   * at once, quoting the output's tail, if the process ends without printing it, and after
   * `timeoutMs` if it never does.
   */
  waitForOutput(pattern: RegExp, timeoutMs: number = Timeouts.processStart): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      let ended = false;
      const finish = () => {
        clearTimeout(timer);
        this.#listeners.delete(check);
      };
      const check = () => {
        const match = this.#output.match(pattern);
        if (match) {
          finish();
          resolve(match);
        } else if (ended) {
          finish();
          reject(new Error(`${this.name} ended (${this.#describeExit()}) without printing ${pattern}; its output ends:\n${this.#tail()}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${this.name} printed nothing matching ${pattern} within ${timeoutMs} ms; its output ends:\n${this.#tail()}`));
      }, timeoutMs);
      this.#listeners.add(check);
      void this.exited.then(() => {
        ended = true;
        check();
      });
      check();
    });
  }

  /** Sends a signal if the process still runs (SIGSTOP and SIGCONT included). */
  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /**
   * Sends `signal` and resolves with how the process ended; one still running `graceMs` later
   * is killed (SIGKILL). SIGTERM lets our apps drain and exit, writing any CPU profile.
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs: number = Timeouts.condition): Promise<ProcessExit> {
    this.signal(signal);
    const killer = signal === 'SIGKILL' ? undefined : setTimeout(() => this.signal('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(killer);
    }
  }

  /** Kills the process (SIGKILL) and resolves once it is gone. */
  kill(): Promise<ProcessExit> {
    return this.stop('SIGKILL');
  }

  #append(text: string): void {
    this.#output += text;
    if (this.#output.length > this.#outputLimit) this.#output = this.#output.slice(-this.#outputLimit);
    this.#notify();
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }

  #tail(): string {
    return this.#output.slice(-TAIL_CHARS);
  }

  #describeExit(): string {
    const { exitCode, signalCode } = this.child;
    return signalCode ? `signal ${signalCode}` : `exit code ${exitCode}`;
  }
}
