import { expectError, openEventStream, waitFor, type EventStream } from '@msgpipe/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../test/api.fixture.js';
import { DEFAULT_HTTP_TIMEOUTS, startHttpServer } from './http-server.js';
import { RawClient, type RawResponse } from '../test/raw-client.fixture.js';

/** The error shape, served as JSON, though the app never saw the request: the server wrote it. */
function expectJsonError(response: RawResponse | undefined, status: number, code: string): void {
  expectError(response, status, code);
  expect(response?.headers['content-type']).toBe('application/json');
  // Every answer has a request id, these too: one of their own.
  expect(response?.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
}

describe('requests the app never sees are answered in the error shape', () => {
  let api: RunningApi;
  const clients: RawClient[] = [];
  const exchange = async (bytes: string) => {
    const client = await RawClient.open(api.baseUrl);
    clients.push(client);
    client.write(bytes);
    await client.waitClosed();
    return client.responses();
  };
  beforeAll(async () => {
    api = await startApi();
  });
  afterEach(() => clients.splice(0).forEach((client) => client.close()));
  afterAll(() => api.close());

  it('a backslash in the path (refused by the Hono adapter): 400 bad_request', async () => {
    const [response] = await exchange('GET /v1/ips/\\/history HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expectJsonError(response, 400, 'bad_request');
  });

  it('a request line that is not HTTP: 400 bad_request', async () => {
    const [response] = await exchange('GET / HTTP/9.9 junk\r\n\r\n');
    expectJsonError(response, 400, 'bad_request');
  });

  it('headers over the size limit: 431 headers_too_large', async () => {
    const [response] = await exchange(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expectJsonError(response, 431, 'headers_too_large');
  });

  it('a malformed HEAD request gets a response without a body, as HEAD requires', async () => {
    const client = await RawClient.open(api.baseUrl);
    clients.push(client);
    client.write('HEAD /\u00e7 HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.waitClosed();
    const [response] = client.responses();
    expect(response?.status).toBe(400);
    expect(response?.headers['content-length']).toBe('0');
  });
});

describe('the production HTTP server settings', () => {
  it('checks its deadlines every second, with header and request timeouts well under Node’s defaults', async () => {
    const server = startHttpServer({ fetch: () => new Response('ok'), port: 0, hostname: '127.0.0.1' });
    try {
      expect(server).toMatchObject({
        headersTimeout: DEFAULT_HTTP_TIMEOUTS.headersTimeoutMs,
        requestTimeout: DEFAULT_HTTP_TIMEOUTS.requestTimeoutMs,
        keepAliveTimeout: DEFAULT_HTTP_TIMEOUTS.keepAliveTimeoutMs,
      });
      expect(DEFAULT_HTTP_TIMEOUTS.checkIntervalMs).toBeLessThanOrEqual(1_000);
      expect(DEFAULT_HTTP_TIMEOUTS.headersTimeoutMs).toBeLessThanOrEqual(DEFAULT_HTTP_TIMEOUTS.requestTimeoutMs);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('MAX_CONNECTIONS', () => {
  let api: RunningApi;
  const streams: EventStream[] = [];
  const clients: RawClient[] = [];
  beforeAll(async () => {
    api = await startApi({ MAX_CONNECTIONS: '3' });
  });
  afterAll(async () => {
    for (const stream of streams) stream.close();
    for (const client of clients) client.close();
    await api.close();
  });

  /** A health check on a connection of its own: its answer, none when the server closed it first. */
  const healthCheck = async () => {
    const client = await RawClient.open(api.baseUrl, '127.0.82.9');
    clients.push(client);
    client.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await client.waitClosed();
    return client.responses()[0];
  };

  it('closes connections beyond the cap at once, unanswered, and takes new ones when a place comes free', async () => {
    for (const ip of ['127.0.82.1', '127.0.82.2', '127.0.82.3']) {
      const stream = await openEventStream(api.baseUrl, '/v1/stream', { localAddress: ip });
      expect(stream.status).toBe(200);
      streams.push(stream);
    }
    expect(await healthCheck()).toBeUndefined();

    streams[0]!.close();
    const answer = await waitFor('a connection taken once a stream closed', healthCheck);
    expect(answer.status).toBe(200);
  });
});
