import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

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

/** What to answer: `json` is serialised, `text` sent as is; `hang` never answers (until close). */
export type UpstreamReply =
  | { status?: number; headers?: Record<string, string>; json: unknown }
  | { status?: number; headers?: Record<string, string>; text: string }
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
            const text = 'json' in reply ? JSON.stringify(reply.json) : reply.text;
            response.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers }).end(text);
          },
          (error: Error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(error.message),
        );
      });
    });
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
