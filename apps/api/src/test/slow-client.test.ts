import { expectError, request } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from './api.fixture.js';
import { RawClient } from './raw-client.fixture.js';

/** The production server module with its deadlines shortened, so a test can outwait them. */
const TIMEOUTS = { headersTimeoutMs: 1_000, requestTimeoutMs: 1_500, keepAliveTimeoutMs: 1_000, checkIntervalMs: 100 };
/** Far past every deadline above, yet far short of Node's own defaults (60 s, 300 s, 30 s checks). */
const CUT_OFF_WITHIN_MS = 4_000;

// Concurrent: each test mostly waits out a deadline.
describe.concurrent('slow clients', () => {
  let api: RunningApi;
  const open = async (onTestFinished: (cleanup: () => void) => void) => {
    const client = await RawClient.open(api.baseUrl);
    onTestFinished(() => client.close());
    return client;
  };
  beforeAll(async () => {
    api = await startApi({}, undefined, TIMEOUTS);
  });
  afterAll(async () => {
    await api.close();
  });

  it('cuts off a client that sends its headers a byte at a time, with 408, although it never goes quiet', async ({ expect, onTestFinished }) => {
    const client = await open(onTestFinished);
    const headers = `POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Padding: ${'z'.repeat(200)}\r\n\r\n`;
    const trickle = client.trickle(headers, 100);
    await client.waitClosed(CUT_OFF_WITHIN_MS);
    trickle.stop();
    expect(client.sent).toBeLessThan(headers.length); // still sending when it was cut off
    expectError(client.responses()[0]!, 408, 'request_timeout');
  });

  it('cuts off a client whose body trickles in, with 408', async ({ expect, onTestFinished }) => {
    const client = await open(onTestFinished);
    const body = JSON.stringify({ message: 'x'.repeat(200) });
    client.write(`POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    const trickle = client.trickle(body, 100);
    await client.waitClosed(CUT_OFF_WITHIN_MS);
    trickle.stop();
    expect(client.responses()).toHaveLength(1);
    expectError(client.responses()[0]!, 408, 'request_timeout');
    expect((await api.queues.counts()).total.waiting).toBe(0); // nothing of the cut-off request was enqueued
  });

  it('closes a connection that never sends a byte', async ({ expect, onTestFinished }) => {
    const client = await open(onTestFinished);
    await client.waitClosed(CUT_OFF_WITHIN_MS);
    expect(client.sent).toBe(0);
  });

  it('serves a keep-alive connection, then closes it once idle past the keep-alive timeout', async ({ expect, onTestFinished }) => {
    const client = await open(onTestFinished);
    client.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    expect((await client.nextResponse(1)).status).toBe(200);
    client.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    const second = await client.nextResponse(2);
    expect(second.status).toBe(200); // the same connection carried a second request
    expect(second.headers['keep-alive']).toBe('timeout=1');
    await client.waitClosed(CUT_OFF_WITHIN_MS);
  });

  it('still serves everyone else, and stays healthy, after cutting slow clients off', async ({ expect, onTestFinished }) => {
    const slow = await Promise.all(Array.from({ length: 20 }, () => open(onTestFinished)));
    const trickles = slow.map((client) => client.trickle('GET /healthz HTTP/1.1\r\nHost: x\r\n', 100));
    const meanwhile = await request(api.baseUrl, '/healthz');
    expect(meanwhile.status).toBe(200);
    for (const client of slow) await client.waitClosed(CUT_OFF_WITHIN_MS);
    trickles.forEach((trickle) => trickle.stop());
    expect((await request(api.baseUrl, '/healthz')).status).toBe(200);
  });
});
