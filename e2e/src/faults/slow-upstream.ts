import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface UpstreamCall {
  id: string;
  ip: string;
  /** Date.now() when the call arrived, and when it was answered (undefined while in flight). */
  at: number;
  answeredAt?: number;
}

/**
 * A webhook receiver that takes `delayMs` to answer each call, so a worker has jobs in flight
 * long enough to signal it mid-call, and the test sees exactly which calls those are.
 */
export class SlowUpstream {
  readonly calls: UpstreamCall[] = [];
  readonly #server: Server;
  #url = '';

  /** How long the calls arriving from now on take (calls in flight keep theirs). */
  private constructor(public delayMs: number) {
    this.#server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const { id, ip } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string; ip: string };
        const call: UpstreamCall = { id, ip, at: Date.now() };
        this.calls.push(call);
        setTimeout(() => {
          call.answeredAt = Date.now();
          response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ response: `slowly answered ${id}` }));
        }, this.delayMs);
      });
    });
  }

  static async start(delayMs: number): Promise<SlowUpstream> {
    const upstream = new SlowUpstream(delayMs);
    upstream.#server.listen(0, '127.0.0.1');
    await once(upstream.#server, 'listening');
    upstream.#url = `http://127.0.0.1:${(upstream.#server.address() as AddressInfo).port}/respond`;
    return upstream;
  }

  get url(): string {
    return this.#url;
  }

  /** The worker settings that make this the responder (a webhook, uncached: every message calls it). */
  get responderEnv(): Record<string, string> {
    return {
      RESPONDER: 'webhook',
      RESPONDER_URL: this.#url,
      RESPONDER_SECRET: 'faults-webhook-secret-0123456789',
      RESPONSE_CACHE_TTL_SECONDS: '0',
    };
  }

  inFlight(): UpstreamCall[] {
    return this.calls.filter((call) => call.answeredAt === undefined);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    this.#server.close();
  }
}
