import { randomUUID } from 'node:crypto';
import { createServer, STATUS_CODES, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { getRequestListener, RequestError, type ServerType } from '@hono/node-server';
import { errorBody, STATUS_OF } from './error-response.js';
import type { ErrorCode } from './errors.js';

/**
 * How long a client may take before the server gives up on it. Node only looks at the
 * header and request timeouts every `checkIntervalMs` (its default is 30 s, which would let a
 * slow client hold a connection for half a minute past its deadline).
 */
export interface HttpTimeouts {
  /** From the connection (or the previous response) until the request's headers are complete. */
  headersTimeoutMs: number;
  /** Until the whole request, body included, is in. Not the response: `?wait` and streams may take longer. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this; longer than a load balancer's usual 60 s. */
  keepAliveTimeoutMs: number;
  checkIntervalMs: number;
}

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 65_000,
  checkIntervalMs: 1_000,
};

export interface HttpServerOptions {
  fetch: Parameters<typeof getRequestListener>[0];
  port: number;
  hostname: string;
  timeouts?: Partial<HttpTimeouts>;
  /**
   * Open connections at most (MAX_CONNECTIONS; 0: no cap). Node closes a connection beyond it as
   * soon as it is accepted, before reading anything, so a flood costs no more than that.
   */
  maxConnections?: number;
  /** Called for each connection closed for being over `maxConnections`. */
  onConnectionDropped?: () => void;
  onListening?: (port: number) => void;
}

/** Error code and message for what Node's parser refused before any route saw the request. */
function clientErrorOf(error: NodeJS.ErrnoException): [ErrorCode, string] {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return ['request_timeout', 'The request took too long to arrive.'];
  if (error.code === 'HPE_HEADER_OVERFLOW') return ['headers_too_large', 'The request headers are too large.'];
  return ['bad_request', 'The request is not valid HTTP/1.1.'];
}

/**
 * Answers malformed, oversized and too-slow requests in the API's error shape (Node's default
 * answer has no body), then drops the connection: its byte stream can no longer be trusted.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  // As Node's own handler: a response already under way cannot be replaced, only cut off.
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const [code, message] = clientErrorOf(error);
  const status = STATUS_OF[code];
  // A response to HEAD has no body: a client would read ours as the start of another response.
  const isHead = (error as { rawPacket?: Buffer }).rawPacket?.subarray(0, 5).toString('latin1') === 'HEAD ';
  const body = isHead ? '' : errorBody(code, message);
  const reason = STATUS_CODES[status];
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      // A request id of its own, as every answer has: the request's own headers are not to be trusted (or were never read).
      `X-Request-Id: ${randomUUID()}\r\nConnection: close\r\n\r\n${body}`,
  );
  // end() waits for the peer to read; a client that never does must not keep the socket.
  socket.setTimeout(1_000, () => socket.destroy());
}

/**
 * What @hono/node-server answers itself, before the app sees a request it cannot turn into a
 * URL (a backslash in the path, a bad Host header): in the error shape rather than its bare 400.
 */
function adapterError(error: unknown): Response {
  const [code, message]: [ErrorCode, string] =
    error instanceof RequestError ? ['bad_request', `The request is malformed: ${error.message}.`] : ['internal', 'Something went wrong on our side.'];
  return new Response(errorBody(code, message), { status: STATUS_OF[code], headers: { 'content-type': 'application/json', 'x-request-id': randomUUID() } });
}

/** The API's HTTP server (@hono/node-server's request listener) with its slow-client defences; main.ts and the tests share it. */
export function startHttpServer({ fetch, port, hostname, timeouts = {}, maxConnections = 0, onConnectionDropped, onListening }: HttpServerOptions): ServerType {
  const { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs, checkIntervalMs } = { ...DEFAULT_HTTP_TIMEOUTS, ...timeouts };
  const server = createServer(
    {
      headersTimeout: headersTimeoutMs,
      requestTimeout: requestTimeoutMs,
      keepAliveTimeout: keepAliveTimeoutMs,
      connectionsCheckingInterval: checkIntervalMs,
    },
    getRequestListener(fetch, { hostname, errorHandler: adapterError }),
  );
  server.on('clientError', answerClientError);
  if (maxConnections > 0) server.maxConnections = maxConnections;
  if (onConnectionDropped) server.on('drop', onConnectionDropped);
  server.listen(port, hostname, () => onListening?.((server.address() as AddressInfo).port));
  return server;
}
