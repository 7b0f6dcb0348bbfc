import { once } from 'node:events';
import { createServer, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One webhook call as the upstream saw it. */
export interface ScriptedCall {
  id: string;
  ip: string;
  message: string;
  /** 1 for the first call about this message id, 2 for the next, … */
  callNumber: number;
  /** The HTTP status it was (or will be) answered with; undefined while held. */
  status?: number;
}

/**
 * A webhook responder whose answer each message's text scripts, so one upstream serves every
 * path of a test:
 *
 * - `flaky N …`: the first N calls about the message answer 503 (transient: BullMQ retries
 *   it through its delayed set), later calls 200;
 * - `doomed …`: every call answers 503, so the message fails for good after RESPONDER_ATTEMPTS;
 * - `refused N …`: the first N calls about the message answer 400 (permanent: it fails at
 *   once), later calls (a retry from the dashboard) 200;
 * - `refused …`: 400, every call;
 * - `hold …`: while `holding` is on, the call is left unanswered (the worker holds the job);
 *   `release()` answers the calls held so far, and with `holding` off such calls answer at once;
 * - anything else: 200 at once.
 *
 * A 200 answers `{"response": "answered <id> on call <n>"}`.
 */
export class ScriptedUpstream {
  readonly calls: ScriptedCall[] = [];
  holding = true;
  readonly #held: Array<{ call: ScriptedCall; response: ServerResponse }> = [];
  readonly #server: Server;
  #url = '';

  private constructor() {
    this.#server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const { id, ip, message } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string; ip: string; message: string };
        const call: ScriptedCall = { id, ip, message, callNumber: this.callsFor(id).length + 1 };
        this.calls.push(call);
        if (message.startsWith('hold ') && this.holding) {
          this.#held.push({ call, response });
          return;
        }
        ScriptedUpstream.#answer(call, response, ScriptedUpstream.#statusFor(call));
      });
    });
  }

  static async start(): Promise<ScriptedUpstream> {
    const upstream = new ScriptedUpstream();
    upstream.#server.listen(0, '127.0.0.1');
    await once(upstream.#server, 'listening');
    upstream.#url = `http://127.0.0.1:${(upstream.#server.address() as AddressInfo).port}/respond`;
    return upstream;
  }

  static #statusFor({ message, callNumber }: ScriptedCall): number {
    const flaky = /^flaky (\d+) /.exec(message);
    if (flaky) return callNumber <= Number(flaky[1]) ? 503 : 200;
    const refusedAtFirst = /^refused (\d+) /.exec(message);
    if (refusedAtFirst) return callNumber <= Number(refusedAtFirst[1]) ? 400 : 200;
    if (message.startsWith('doomed ')) return 503;
    if (message.startsWith('refused ')) return 400;
    return 200;
  }

  static #answer(call: ScriptedCall, response: ServerResponse, status: number): void {
    call.status = status;
    // A call held by a worker that was killed meanwhile has no one to answer: harmless.
    if (response.destroyed) return;
    const body = status === 200 ? { response: `answered ${call.id} on call ${call.callNumber}` } : { error: `scripted ${status}` };
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  get url(): string {
    return this.#url;
  }

  /** The worker settings that make this the responder (webhook; the response cache stays on). */
  get responderEnv(): Record<string, string> {
    return { RESPONDER: 'webhook', RESPONDER_URL: this.#url, RESPONDER_SECRET: 'acl-paths-webhook-secret-0123456789' };
  }

  callsFor(id: string): ScriptedCall[] {
    return this.calls.filter((call) => call.id === id);
  }

  /** Calls left unanswered so far (`hold …` messages while `holding`). */
  held(): ScriptedCall[] {
    return this.#held.map(({ call }) => call);
  }

  /** Stops holding, and answers every call held so far. */
  release(): void {
    this.holding = false;
    for (const { call, response } of this.#held.splice(0)) ScriptedUpstream.#answer(call, response, 200);
  }

  async close(): Promise<void> {
    this.release();
    this.#server.closeAllConnections();
    this.#server.close();
  }
}
