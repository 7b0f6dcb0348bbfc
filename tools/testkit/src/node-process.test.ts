import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NodeProcess } from './node-process.js';
import { childEnv } from './child-env.js';

const dir = mkdtempSync(join(tmpdir(), 'testkit-node-process-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A script file of `code`, for NodeProcess to run. */
function script(name: string, code: string): string {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, code);
  return file;
}

const HOLD_ON = 'setInterval(() => {}, 1000);';

describe('NodeProcess', () => {
  it('resolves waitForOutput with the match, from stdout or stderr, and keeps all the output', async () => {
    const child = new NodeProcess(script('talks', `console.log('one'); console.error('ready on 42'); ${HOLD_ON}`), childEnv({}), { name: 'talker' });
    const match = await child.waitForOutput(/ready on (\d+)/);
    expect(match[1]).toBe('42');
    expect(child.output).toContain('one');
    expect(child.running).toBe(true);
    expect(await child.kill()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(child.running).toBe(false);
  });

  it('rejects waitForOutput at once, quoting the output, when the process ends without printing it', async () => {
    const child = new NodeProcess(script('quits', `console.log('bad config: PORT'); process.exit(78);`), childEnv({}), { name: 'quitter' });
    await expect(child.waitForOutput(/listening/)).rejects.toThrow(/quitter ended \(exit code 78\) without printing \/listening\/[\s\S]*bad config: PORT/);
    expect(await child.exited).toEqual({ code: 78, signal: null });
  });

  it('stops with SIGTERM, and kills (SIGKILL) a process that ignores it once the grace is over', async () => {
    const polite = new NodeProcess(script('polite', `process.on('SIGTERM', () => process.exit(0)); console.log('up'); ${HOLD_ON}`), childEnv({}));
    const stubborn = new NodeProcess(script('stubborn', `process.on('SIGTERM', () => console.log('not stopping')); console.log('up'); ${HOLD_ON}`), childEnv({}));
    await Promise.all([polite.waitForOutput(/up/), stubborn.waitForOutput(/up/)]);
    expect(await polite.stop()).toEqual({ code: 0, signal: null });
    expect(await stubborn.stop('SIGTERM', 200)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(stubborn.output).toContain('not stopping');
  });

  it('keeps only the tail of the output when given a limit, and passes node flags before the script', async () => {
    const child = new NodeProcess(script('chatty', `for (let n = 0; n < 100; n++) console.log('line', n); console.log(process.execArgv.join(' '));`), childEnv({}), {
      outputLimit: 50,
      nodeArgs: ['--no-warnings'],
    });
    await child.exited;
    expect(child.output.length).toBeLessThanOrEqual(50);
    expect(child.output).toContain('--no-warnings');
    expect(child.output).not.toContain('line 0\n');
  });

  it('runs with the environment it was given, cleaned of what would point it elsewhere', async () => {
    process.env.REDIS_PREFIX = 'the-runners-own';
    try {
      const child = new NodeProcess(script('env', `console.log(JSON.stringify({ prefix: process.env.REDIS_PREFIX ?? null, port: process.env.PORT, nodeEnv: process.env.NODE_ENV }));`), childEnv({ PORT: '1234' }));
      await child.exited;
      expect(JSON.parse(child.output)).toEqual({ prefix: null, port: '1234', nodeEnv: 'production' });
    } finally {
      delete process.env.REDIS_PREFIX;
    }
  });
});
