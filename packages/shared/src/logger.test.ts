import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REDACTED_PATHS } from './logger.js';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

/**
 * The child process runs the build (dist), not these sources: fail clearly when there is no
 * build, or when it is out of date with respect to what these tests check.
 */
async function assertBuildMatchesSources(): Promise<void> {
  if (!existsSync(dist)) throw new Error(`${dist} is missing: run \`npx turbo run build\` first`);
  const built = (await import(pathToFileURL(dist).href)) as { REDACTED_PATHS?: unknown };
  if (JSON.stringify(built.REDACTED_PATHS) !== JSON.stringify(REDACTED_PATHS)) {
    throw new Error('packages/shared/dist is older than src (REDACTED_PATHS differ): run `npx turbo run build` first');
  }
}

type LogLine = Record<string, unknown>;

/**
 * Runs `body` in a fresh Node process with `logger` = createLogger({ pretty: false, … }) and
 * returns what it printed to stdout, parsed line by line (pino writes JSON lines to fd 1).
 */
async function logLinesOf(body: string, level = 'info'): Promise<{ raw: string; lines: LogLine[] }> {
  await assertBuildMatchesSources();
  const script = `const { createLogger } = await import(${JSON.stringify(dist)});
const logger = createLogger({ name: 'under-test', level: ${JSON.stringify(level)}, pretty: false });
${body}`;
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
        env: { PATH: process.env.PATH ?? '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      child.once('error', reject);
      child.once('close', (exitCode) => resolve({ code: exitCode, stdout: out, stderr: err }));
    },
  );
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const lines = stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as LogLine);
  return { raw: stdout, lines };
}

describe('createLogger (pretty: false)', () => {
  it('writes one JSON object per line with level, ISO time, name and message', async () => {
    const { lines } = await logLinesOf(`logger.info({ ip: '1.2.3.4' }, 'hello'); logger.warn('careful');`);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 30, name: 'under-test', msg: 'hello', ip: '1.2.3.4' });
    expect(lines[1]).toMatchObject({ level: 40, name: 'under-test', msg: 'careful' });
    expect(String(lines[0]?.time)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it('drops lines below the configured level', async () => {
    const { lines } = await logLinesOf(
      `logger.debug('hidden'); logger.info('hidden too'); logger.warn('shown'); logger.error('shown too');`,
      'warn',
    );
    expect(lines.map((line) => line.msg)).toEqual(['shown', 'shown too']);
  });

  it('never prints secrets under the redacted paths, at the top level or one level down', async () => {
    const { raw, lines } = await logLinesOf(`
logger.info({ adminToken: 'SECRET-admin-token' }, 'admin token');
logger.info({ headers: { authorization: 'Bearer SECRET-bearer', cookie: 'session=SECRET-cookie', accept: 'text/html' } }, 'headers');
logger.info({ req: { headers: { authorization: 'Basic SECRET-basic', cookie: 'SECRET-cookie-2', host: 'example' } } }, 'nested headers');
logger.info({ password: 'SECRET-pw', token: 'SECRET-token', authorization: 'SECRET-auth' }, 'top level');
logger.info({ config: { adminToken: 'SECRET-config-token', password: 'SECRET-config-pw', port: 3000 } }, 'config');
logger.info({ redisUrl: 'redis://:SECRET-url@h', redis: { url: 'redis://:SECRET-url-2@h', prefix: 'msgpipe' } }, 'redis');
logger.info({ config: { redis: { url: 'redis://:SECRET-url-3@h' }, redisUrl: 'redis://:SECRET-url-4@h' } }, 'nested redis');
`);
    expect(lines).toHaveLength(7);
    expect(raw).not.toContain('SECRET');
    // Redacted, not dropped: the operator still sees that a value was there.
    const byMessage = Object.fromEntries(lines.map((line) => [String(line.msg), line]));
    expect(byMessage['admin token']).toMatchObject({ adminToken: '[redacted]' });
    expect(byMessage.headers).toMatchObject({ headers: { authorization: '[redacted]', cookie: '[redacted]', accept: 'text/html' } });
    expect(byMessage['nested headers']).toMatchObject({
      req: { headers: { authorization: '[redacted]', cookie: '[redacted]', host: 'example' } },
    });
    expect(byMessage['top level']).toMatchObject({ password: '[redacted]', token: '[redacted]', authorization: '[redacted]' });
    expect(byMessage.config).toMatchObject({ config: { adminToken: '[redacted]', password: '[redacted]', port: 3000 } });
    expect(byMessage.redis).toMatchObject({ redisUrl: '[redacted]', redis: { url: '[redacted]', prefix: 'msgpipe' } });
  });

  it('leaves ordinary fields that merely resemble secret names alone', async () => {
    const { lines } = await logLinesOf(`logger.info({ tokenCount: 3, passwordless: true, url: 'http://x' }, 'plain');`);
    expect(lines[0]).toMatchObject({ tokenCount: 3, passwordless: true, url: 'http://x' });
  });
});

describe('REDACTED_PATHS', () => {
  it('covers the admin token, authorization and cookie headers, passwords and Redis URLs', () => {
    for (const path of ['adminToken', 'headers.authorization', 'headers.cookie', 'password', 'redis.url', 'redisUrl']) {
      expect(REDACTED_PATHS).toContain(path);
    }
  });
});
