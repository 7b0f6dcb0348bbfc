import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnOwned, testRedisUrl, uniquePrefix } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pipeline } from './pipeline.fixture.js';

/** The built entry point, as `npm run start:worker` runs it (build first: npx turbo run build). */
const WORKER_MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const directory = mkdtempSync(join(tmpdir(), 'msgpipe-worker-main-'));

beforeAll(() => {
  if (!existsSync(WORKER_MAIN)) throw new Error(`${WORKER_MAIN} is missing: build first (npx turbo run build --filter=@msgpipe/worker)`);
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** Runs the built worker with only the variables given (and PATH). */
function startWorker(env: Record<string, string>) {
  const child = spawnOwned(process.execPath, [WORKER_MAIN], {
    env: { PATH: process.env.PATH, LOG_LEVEL: 'info', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output, exited };
}

describe('the built worker (apps/worker/dist/main.js)', () => {
  it('stops with exit code 78 and file:line: reason on a bad rules file, before taking any message', async () => {
    const file = join(directory, 'rules.json');
    writeFileSync(file, '[\n  {"pattern": "^hi", "reply": "hello {ip}"},\n  {"pattern": "(", "reply": "x"}\n]\n');
    const prefix = uniquePrefix('bad-rules');
    const worker = startWorker({ REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix, RESPONDER_RULES_FILE: file });

    expect(await worker.exited).toBe(78);
    expect(worker.output.stderr).toContain(`${file}:3: rule 2: pattern "(" is not a valid regular expression`);
    expect(worker.output.stdout).not.toMatch(/worker consuming/);
  });

  it('answers with the rules of a good RESPONDER_RULES_FILE', async () => {
    const file = join(directory, 'good.json');
    writeFileSync(file, JSON.stringify([{ pattern: '^ping$', flags: 'i', reply: 'pong, {ip}' }, { pattern: '[\\s\\S]', reply: 'noted' }], null, 2));
    const pipeline = new Pipeline({ RESPONDER_RULES_FILE: file });
    const worker = startWorker({ REDIS_URL: testRedisUrl(), REDIS_PREFIX: pipeline.config.redis.prefix, RESPONDER_RULES_FILE: file });
    try {
      const job = await pipeline.enqueue('PING', '192.0.2.44');
      expect(await pipeline.finished(job, 20_000)).toBe('completed');
      expect(await pipeline.entriesOf(job)).toEqual([expect.objectContaining({ response: 'pong, 192.0.2.44' })]);
    } finally {
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
      await pipeline.close();
    }
    expect(worker.output.stdout).toMatch(/worker stopped/);
  });
});
