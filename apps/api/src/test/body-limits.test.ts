import { expectError, postMessage, request, waitFor } from '@msgpipe/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from './api.fixture.js';
import { bodyLimitFor } from '../intake/message-body.js';
import { RawClient } from './raw-client.fixture.js';

const ADMIN = 'body-limits-admin-token';
const THREE_MB = 3 * 1024 * 1024;
/** What the tests send of the 3 MB before they stop and wait: past the limit, far short of the whole. */
const SENT_BEFORE_WAITING = 96 * 1024;

const head = (headers: string) => `POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${headers}\r\n`;

describe('an oversized body is refused while it is being read', () => {
  let api: RunningApi;
  const clients: RawClient[] = [];
  const open = async () => {
    const client = await RawClient.open(api.baseUrl);
    clients.push(client);
    return client;
  };
  beforeAll(async () => {
    api = await startApi({ ADMIN_TOKEN: ADMIN });
    expect(bodyLimitFor(api.config.messageMaxBytes)).toBeLessThan(SENT_BEFORE_WAITING);
  });
  const metricsText = async () => (await request(api.baseUrl, '/metrics', { headers: { authorization: `Bearer ${ADMIN}` } })).text;
  afterEach(() => clients.splice(0).forEach((client) => client.close()));
  afterAll(async () => {
    await api.close();
  });

  it('answers 413 to a 3 MB Content-Length before the body has been sent, then hangs up', async () => {
    const client = await open();
    client.write(head(`Content-Length: ${THREE_MB}\r\n`));
    client.write(`{"message":"${'x'.repeat(SENT_BEFORE_WAITING)}`);
    expectError(await client.nextResponse(), 413, 'message_too_large');
    expect(client.sent).toBeLessThan(THREE_MB / 10);
    await client.waitClosed(); // the rest of the 3 MB is never waited for
  });

  it('answers 413 to a chunked body once it passes the limit, while the client is still sending', async () => {
    const client = await open();
    client.write(head('Transfer-Encoding: chunked\r\n'));
    const chunk = 'x'.repeat(16 * 1024);
    for (let sent = 0; sent < SENT_BEFORE_WAITING; sent += chunk.length) {
      client.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    }
    // No last chunk: a server that buffered the whole body would still be waiting for it.
    expectError(await client.nextResponse(), 413, 'message_too_large');
    await client.waitClosed();
  });

  it.each([
    ['no Content-Length (so, by HTTP/1.1, no body)', ''],
    ['a Content-Length smaller than what follows', 'Content-Length: 20\r\n'],
  ])('refuses 3 MB sent with %s: 4xx in the error shape, then the connection is dropped', async (_, framing) => {
    const client = await open();
    client.write(head(framing));
    client.write(`{"message":"${'x'.repeat(THREE_MB)}"}`);
    await client.waitClosed();
    const responses = client.responses();
    expect(responses.length).toBeGreaterThan(0);
    for (const response of responses) {
      expect(response.status).toBeGreaterThanOrEqual(400);
      expectError(response, response.status);
    }
    expect(responses.every((response) => response.status < 500)).toBe(true);
  });

  it('counts a body the client abandons half-way as its fault (400), never as a server error', async () => {
    const chunked = await open();
    chunked.write(head('Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n'));
    chunked.write('5\r\n{"mes\r\n');
    const declared = await open();
    declared.write(head('Content-Length: 50\r\nExpect: 100-continue\r\n'));
    declared.write('{"mes');
    // "100 Continue" means the server has the request and handed it to the app: now go away.
    expect((await chunked.nextResponse()).status).toBe(100);
    expect((await declared.nextResponse()).status).toBe(100);
    chunked.close();
    declared.close();
    const counted = await waitFor('both abandoned bodies counted', async () => {
      const text = await metricsText();
      return /msgpipe_messages_rejected_total\{reason="invalid_body"\} 2\b/.test(text) && text;
    });
    expect(counted).not.toMatch(/status="5\d\d"/);
    expect(counted).not.toContain('reason="internal"');
  });

  it('enqueued none of them, and still accepts a message of the largest size', async () => {
    expect((await api.queues.counts()).total.waiting).toBe(0);
    const response = await postMessage(api.baseUrl, 'y'.repeat(api.config.messageMaxBytes));
    expect(response.status).toBe(202);
  });
});
