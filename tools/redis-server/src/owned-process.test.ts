import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runOwned, spawnOwned, sweepOrphans } from './owned-process.js';

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Polls until the process is gone; the caller's test timeout bounds it. */
async function gone(pid: number): Promise<void> {
  while (isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
}

const leftovers: number[] = [];
afterEach(() => {
  for (const pid of leftovers.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
});

describe('spawnOwned', () => {
  it('kills the child when its parent is killed with SIGKILL', async () => {
    // A parent (running the built module) that starts an owned child and prints its pid.
    const moduleUrl = new URL('../dist/owned-process.js', import.meta.url).href;
    const script = `const { spawnOwned } = await import(${JSON.stringify(moduleUrl)});
      const child = spawnOwned('sleep', ['600'], { stdio: 'ignore', detached: true });
      console.log(child.pid);
      setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const childPid = await new Promise<number>((resolve) => parent.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
    leftovers.push(childPid);
    expect(isAlive(childPid)).toBe(true);

    parent.kill('SIGKILL');
    await gone(childPid);
    expect(isAlive(childPid)).toBe(false);
  });

  it('leaves the child running while its parent lives', async () => {
    const child = spawnOwned('sleep', ['600'], { stdio: 'ignore' });
    leftovers.push(child.pid!);
    await new Promise((resolve) => child.once('spawn', resolve));
    expect(sweepOrphans()).not.toContain(child.pid);
    expect(isAlive(child.pid!)).toBe(true);
    child.kill('SIGKILL');
  });
});

describe('sweepOrphans', () => {
  it('kills a registered child whose parent is gone, and nothing else', async () => {
    // A process outside spawnOwned's reach, registered as the child of a parent that has exited.
    const orphan = spawn('sleep', ['600'], { stdio: 'ignore', detached: true });
    const bystander = spawn('sleep', ['600'], { stdio: 'ignore', detached: true });
    leftovers.push(orphan.pid!, bystander.pid!);
    const deadParent = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => deadParent.once('exit', resolve));
    const registry = join(tmpdir(), 'msgpipe-owned-processes');
    mkdirSync(registry, { recursive: true });
    writeFileSync(join(registry, `${orphan.pid}.json`), JSON.stringify({ pid: orphan.pid, parentPid: deadParent.pid, command: 'sleep' }));

    expect(sweepOrphans()).toEqual([orphan.pid]);
    await gone(orphan.pid!);
    expect(isAlive(bystander.pid!)).toBe(true);
  });
});

describe('runOwned', () => {
  it('gives what the command wrote, takes input, and rejects with the output on failure', async () => {
    expect(await runOwned('cat', [], { input: 'y\n' })).toEqual({ stdout: 'y\n', stderr: '' });
    await expect(runOwned('sh', ['-c', 'echo out; echo err >&2; exit 3'])).rejects.toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n' });
  });

  it('kills a command that outlives its time-out', async () => {
    await expect(runOwned('sleep', ['600'], { timeoutMs: 50 })).rejects.toMatchObject({ signal: 'SIGKILL' });
  });
});
