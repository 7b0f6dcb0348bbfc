import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

/** One request the fake upstream received. */
export interface UpstreamCall {
  /** Date.now() when the request arrived. */
  at: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body, as the signature covers it. */
  body: string;
}

/**
 * What to answer: `json` is serialised, `text` sent as is; `endless` is sent again and again,
 * chunked, for as long as the client reads it; `hang` never answers (until close).
 */
export type UpstreamReply =
  | { status?: number; headers?: Record<string, string>; json: unknown }
  | { status?: number; headers?: Record<string, string>; text: string }
  | { status?: number; headers?: Record<string, string>; endless: string }
  | { hang: true };

export type UpstreamHandler = (call: UpstreamCall, index: number) => UpstreamReply | Promise<UpstreamReply>;

/**
 * A real HTTP server on 127.0.0.1 (a free port) standing in for a webhook receiver or an
 * OpenAI-compatible endpoint: it records every request and answers as the test's handler says.
 */
export class FakeUpstream {
  readonly calls: UpstreamCall[] = [];
  readonly #server: Server;
  #url = '';
  #endlessClosed = 0;

  private constructor(handler: UpstreamHandler) {
    this.#server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const call: UpstreamCall = {
          at: Date.now(),
          method: request.method ?? '',
          path: request.url ?? '',
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.calls.push(call);
        Promise.resolve(handler(call, this.calls.length - 1)).then(
          (reply) => {
            if ('hang' in reply) return;
            if ('endless' in reply) return this.#sendEndlessly(response, reply);
            const text = 'json' in reply ? JSON.stringify(reply.json) : reply.text;
            response.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers }).end(text);
          },
          (error: Error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(error.message),
        );
      });
    });
  }

  /** Writes the chunk whenever the socket takes more, until the client hangs up. */
  #sendEndlessly(response: ServerResponse, { status, headers, endless }: { status?: number; headers?: Record<string, string>; endless: string }): void {
    response.writeHead(status ?? 200, { 'content-type': 'application/json', ...headers });
    response.on('close', () => this.#endlessClosed++);
    const pump = () => {
      while (!response.destroyed && response.write(endless));
    };
    response.on('drain', pump);
    pump();
  }

  /** Endless answers whose client hung up: a client that stops reading closes the connection. */
  get endlessAnswersClosed(): number {
    return this.#endlessClosed;
  }

  static async start(handler: UpstreamHandler): Promise<FakeUpstream> {
    const upstream = new FakeUpstream(handler);
    upstream.#server.listen(0, '127.0.0.1');
    await once(upstream.#server, 'listening');
    upstream.#url = `http://127.0.0.1:${(upstream.#server.address() as AddressInfo).port}`;
    return upstream;
  }

  /** http://127.0.0.1:PORT, no trailing slash. */
  get url(): string {
    return this.#url;
  }

  /** Stops listening and cuts the connections of requests it is still holding. */
  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** Call at a test file's top: starts FakeUpstreams, each closed after its test. */
export function upstreamPerTest(): (handler: UpstreamHandler) => Promise<FakeUpstream> {
  let started: FakeUpstream[] = [];
  afterEach(async () => {
    await Promise.all(started.map((upstream) => upstream.close()));
    started = [];
  });
  return async (handler) => {
    const upstream = await FakeUpstream.start(handler);
    started.push(upstream);
    return upstream;
  };
}
