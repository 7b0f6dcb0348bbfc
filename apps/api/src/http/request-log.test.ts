import { Writable } from 'node:stream';
import { createLogger } from '@msgpipe/shared';
import { postMessage, request } from '@msgpipe/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../test/api.fixture.js';

const GENERATED = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A logger whose JSON lines the test reads back. */
function capturedLogger(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ name: 'api-test', level, destination }), lines };
}

describe('request ids and the access log', () => {
  const started: RunningApi[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((api) => api.close()));
  });

  async function start(env: Record<string, string> = {}, level = 'info') {
    const captured = capturedLogger(level);
    const api = await startApi({ LOG_LEVEL: level, ...env }, undefined, {}, captured.logger);
    started.push(api);
    return { api, lines: captured.lines };
  }

  it("echoes the client's X-Request-Id on every answer, errors included", async () => {
    const { api } = await start({ RATE_LIMIT_PER_MINUTE: '1' });
    const asked = (id: string) => ({ headers: { 'x-request-id': id, 'content-type': 'application/json' } });
    const answers = {
      accepted: await postMessage(api.baseUrl, 'hello', asked('r-accepted')),
      rateLimited: await postMessage(api.baseUrl, 'hello again', asked('r-limited')),
      invalid: await request(api.baseUrl, '/v1/messages', { method: 'POST', body: '{"message":', ...asked('r-invalid') }),
      notFound: await request(api.baseUrl, '/no/such/route', asked('r-missing')),
      unauthorized: await request(api.baseUrl, '/admin', asked('r-admin')),
      health: await request(api.baseUrl, '/healthz', asked('r-health')),
    };
    expect(Object.fromEntries(Object.entries(answers).map(([name, response]) => [name, [response.status, response.headers['x-request-id']]]))).toEqual({
      accepted: [202, 'r-accepted'],
      rateLimited: [429, 'r-limited'],
      invalid: [400, 'r-invalid'],
      notFound: [404, 'r-missing'],
      unauthorized: [401, 'r-admin'],
      health: [200, 'r-health'],
    });
  });

  it('answers with an id of its own when the client sent none, or one out of bounds', async () => {
    const { api } = await start();
    const none = await request(api.baseUrl, '/healthz');
    const tooLong = await request(api.baseUrl, '/healthz', { headers: { 'x-request-id': 'x'.repeat(129) } });
    const withSpace = await postMessage(api.baseUrl, 'hi', { headers: { 'x-request-id': 'a b' } });
    for (const response of [none, tooLong, withSpace]) expect(response.headers['x-request-id']).toMatch(GENERATED);
    expect(none.headers['x-request-id']).not.toBe(tooLong.headers['x-request-id']);
  });

  it('writes one info line per request: id, method, route pattern, status, duration, client IP', async () => {
    const { api, lines } = await start();
    const accepted = await postMessage(api.baseUrl, 'hello', { headers: { 'x-request-id': 'r-1' }, localAddress: '127.0.0.9' });
    const id = accepted.json().id as string;
    await request(api.baseUrl, `/v1/messages/${id}`, { headers: { 'x-request-id': 'r-2' }, localAddress: '127.0.0.9' });
    await request(api.baseUrl, '/nowhere', { headers: { 'x-request-id': 'r-3' } });

    const access = lines.filter((line) => line.msg === 'request');
    expect(access.map(({ requestId, method, route, status, ip, level }) => ({ requestId, method, route, status, ip, level }))).toEqual([
      { requestId: 'r-1', method: 'POST', route: '/v1/messages', status: 202, ip: '127.0.0.9', level: 30 },
      { requestId: 'r-2', method: 'GET', route: '/v1/messages/:id', status: 200, ip: '127.0.0.9', level: 30 },
      { requestId: 'r-3', method: 'GET', route: 'unmatched', status: 404, ip: '127.0.0.1', level: 30 },
    ]);
    for (const line of access) expect(line.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('ACCESS_LOG_LEVEL below LOG_LEVEL turns the lines off; the ids stay', async () => {
    const { api, lines } = await start({ ACCESS_LOG_LEVEL: 'debug' }, 'info');
    const response = await request(api.baseUrl, '/healthz', { headers: { 'x-request-id': 'r-quiet' } });
    expect(response.headers['x-request-id']).toBe('r-quiet');
    expect(lines.filter((line) => line.msg === 'request')).toEqual([]);
  });

  it('ACCESS_LOG_LEVEL=silent writes none even at trace; warn writes them at warn', async () => {
    const silent = await start({ ACCESS_LOG_LEVEL: 'silent' }, 'trace');
    await request(silent.api.baseUrl, '/healthz');
    expect(silent.lines.filter((line) => line.msg === 'request')).toEqual([]);

    const warn = await start({ ACCESS_LOG_LEVEL: 'warn' }, 'warn');
    await request(warn.api.baseUrl, '/healthz', { headers: { 'x-request-id': 'r-warn' } });
    expect(warn.lines.filter((line) => line.msg === 'request')).toEqual([expect.objectContaining({ requestId: 'r-warn', level: 40 })]);
  });
});
