import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findExecutable } from './binary.js';

/**
 * Children that must not outlive the process that started them: the Redis servers, APIs and
 * workers of the launcher, the tests and the benchmark. Two guards:
 * - On Linux the child is started through util-linux's `setpriv --pdeathsig SIGKILL`, so the
 *   kernel kills it the moment its parent dies, even by SIGKILL or a runner's time-out.
 * - Each child is listed in a registry folder (pid, parent pid, command line) until it exits;
 *   sweepOrphans() kills any listed child whose parent is gone, for platforms without setpriv
 *   and for the instant between fork and prctl.
 */

const REGISTRY = join(tmpdir(), 'msgpipe-owned-processes');
const SETPRIV = process.platform === 'linux' ? findExecutable('setpriv') : undefined;

interface RegistryEntry {
  pid: number;
  parentPid: number;
  /** The executable, as /proc/<pid>/cmdline shows it: guards against a reused pid. */
  command: string;
}

/** Like child_process.spawn, but the child dies with this process (see the module comment). */
export function spawnOwned(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const child = SETPRIV ? spawn(SETPRIV, ['--pdeathsig', 'SIGKILL', '--', command, ...args], options) : spawn(command, [...args], options);
  const pid = child.pid;
  if (pid === undefined) return child; // failed to start: the 'error' event tells the caller
  const file = join(REGISTRY, `${pid}.json`);
  try {
    mkdirSync(REGISTRY, { recursive: true });
    writeFileSync(file, JSON.stringify({ pid, parentPid: process.pid, command } satisfies RegistryEntry));
    child.once('exit', () => rmSync(file, { force: true }));
  } catch {
    // The registry is the second guard only; a read-only tmp must not stop a child starting.
  }
  return child;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Killed (SIGKILL) after this long; the promise then rejects. Default: no limit. */
  timeoutMs?: number;
  /** Written to its standard input, which is then closed. Default: no input. */
  input?: string;
}

/** What a command that ran to its end wrote; on failure the error carries the same, as execFile's does. */
export interface RunResult {
  stdout: string;
  stderr: string;
}

export type RunError = Error & RunResult & { code: number | null; signal: NodeJS.Signals | null };

/**
 * Runs a command to its end, like a promisified execFile, but owned (see spawnOwned): a hung
 * command is not left behind by a test that gave up on it, or was killed.
 */
export function runOwned(command: string, args: readonly string[], { env, timeoutMs, input }: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawnOwned(command, args, { env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    child.stdin?.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(Object.assign(error, { stdout, stderr, code: null, signal: null }));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve({ stdout, stderr });
      const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
      const error = new Error(`${command} ${args.join(' ')} ${how}\n${stderr}`) as RunError;
      reject(Object.assign(error, { stdout, stderr, code, signal }));
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function commandLineOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return undefined;
  }
}

/**
 * Kills every registered child whose parent has died (an earlier run killed half-way), and
 * returns their pids. Children of live processes, a concurrent run's included, are left alone.
 */
export function sweepOrphans(): number[] {
  let files: string[];
  try {
    files = readdirSync(REGISTRY).filter((name) => name.endsWith('.json'));
  } catch {
    return [];
  }
  const killed: number[] = [];
  for (const name of files) {
    const file = join(REGISTRY, name);
    let entry: RegistryEntry;
    try {
      entry = JSON.parse(readFileSync(file, 'utf8')) as RegistryEntry;
    } catch {
      rmSync(file, { force: true });
      continue;
    }
    if (isAlive(entry.parentPid)) continue;
    const commandLine = commandLineOf(entry.pid);
    const stillOurs = process.platform === 'linux' ? commandLine?.includes(entry.command) === true : isAlive(entry.pid);
    if (stillOurs) {
      try {
        process.kill(entry.pid, 'SIGKILL');
        killed.push(entry.pid);
      } catch {
        // gone meanwhile
      }
    }
    rmSync(file, { force: true });
  }
  return killed;
}
