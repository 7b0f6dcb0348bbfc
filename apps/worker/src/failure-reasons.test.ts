import { once } from 'node:events';
import { createServer } from 'node:net';
import { createLogger } from '@msgpipe/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { pipelinePerTest, type Pipeline } from './pipeline.fixture.js';
import { upstreamPerTest, type FakeUpstream, type UpstreamHandler } from './upstream.fixture.js';

const SECRET = 'reason-test-secret-0123456789';

const newPipeline = pipelinePerTest();
const startUpstream = upstreamPerTest();

/** A worker whose log lines (warn and up) the test reads. */
function pipelineWithLog(env: Record<string, string>): { pipeline: Pipeline; log: string[] } {
  const log: string[] = [];
  const logger = createLogger({ name: 'reason-test', level: 'warn', pretty: false, destination: { write: (line: string) => log.push(line) } });
  const pipeline = newPipeline({ RESPONDER_ATTEMPTS: '1', ...env });
  pipeline.startWorker({ logger });
  return { pipeline, log };
}

async function webhookAnswering(handler: UpstreamHandler, env: Record<string, string> = {}) {
  const upstream = await startUpstream(handler);
  return pipelineWithLog({ RESPONDER: 'webhook', RESPONDER_URL: `${upstream.url}/hook`, RESPONDER_SECRET: SECRET, ...env });
}

/** A port on 127.0.0.1 nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('what a failed message tells its sender', () => {
  it('an unreachable upstream: a generic reason in the history, its address only in the log', async () => {
    const port = await closedPort();
    const { pipeline, log } = pipelineWithLog({ RESPONDER: 'webhook', RESPONDER_URL: `http://127.0.0.1:${port}/hook`, RESPONDER_SECRET: SECRET });
    const job = await pipeline.enqueue('anyone there?', '203.0.113.40');

    expect(await pipeline.finished(job)).toBe('failed');
    const [entry] = await pipeline.entriesOf(job);
    expect(entry).toMatchObject({ status: 'failed', error: 'the responder could not be reached' });
    expect(JSON.stringify(entry)).not.toMatch(new RegExp(`127\\.0\\.0\\.1|${port}|ECONNREFUSED`));
    expect(log.join('')).toContain(`127.0.0.1:${port}`);
    expect(log.join('')).toContain(job.id);
  });

  it.each([
    ['an HTTP 400', { status: 400, text: 'bad request at internal-host.corp.example:8443' }, 'the responder refused the message', 'internal-host.corp.example:8443'],
    ['an HTTP 503', { status: 503, text: 'upstream 10.20.30.40 down' }, 'the responder is unavailable', 'webhook answered HTTP 503'],
    ['a body that is not JSON', { text: '<html>proxy 10.20.30.40</html>' }, 'the responder gave an answer that could not be read', '10.20.30.40'],
    ['JSON without response', { json: { oops: 'see http://10.20.30.40/' } }, 'the responder gave an answer that could not be read', '10.20.30.40'],
    ['an answer over RESPONSE_MAX_BYTES', { json: { response: 'x'.repeat(70_000) } }, 'the responder\'s answer was too long', 'RESPONSE_MAX_BYTES'],
  ])('%s: a generic reason in the history, the detail in the log', async (_, reply, reason, detail) => {
    const { pipeline, log } = await webhookAnswering(() => reply);
    const job = await pipeline.enqueue('hello', '203.0.113.41');

    expect(await pipeline.finished(job)).toBe('failed');
    expect(await pipeline.entriesOf(job)).toEqual([expect.objectContaining({ status: 'failed', error: reason })]);
    expect(log.join('')).toContain(detail);
  });

  it('a message of a batch that fails for good: the same generic reason, the detail in the log', async () => {
    const { pipeline, log } = await webhookAnswering(() => ({ status: 404, text: 'no route on gateway 10.9.8.7' }));
    const batch = await pipeline.enqueueBatch([{ message: 'in a batch', ip: '203.0.113.42' }]);
    const [message] = batch.messages;

    expect(await pipeline.finished(message!)).toBe('failed');
    expect(await pipeline.entriesOf(message!)).toEqual([expect.objectContaining({ status: 'failed', error: 'the responder refused the message' })]);
    expect(log.join('')).toContain('10.9.8.7');
  });

  it('an unexpected error of the responder: "the responder failed", its message only in the log', async () => {
    const log: string[] = [];
    const logger = createLogger({ name: 'reason-test', level: 'warn', pretty: false, destination: { write: (line: string) => log.push(line) } });
    const pipeline = newPipeline({ RESPONDER_ATTEMPTS: '1' });
    pipeline.startWorker({
      logger,
      responder: {
        async respond() {
          throw new Error('connect ECONNREFUSED 10.1.2.3:6379');
        },
      },
    });
    const job = await pipeline.enqueue('hi', '203.0.113.43');

    expect(await pipeline.finished(job)).toBe('failed');
    expect(await pipeline.entriesOf(job)).toEqual([expect.objectContaining({ status: 'failed', error: 'the responder failed' })]);
    expect(log.join('')).toContain('10.1.2.3:6379');
  });
});
