import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { Timeouts, waitFor } from '@msgpipe/testkit';

/** One response as it came off the wire: status line, headers (lower-case names), body. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * A client that writes bytes to the API's socket exactly as told, to be the slow, lying or
 * malformed client that node:http as a client would never be.
 */
export class RawClient {
  #received = Buffer.alloc(0);
  #closed = false;
  #sent = 0;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => (this.#received = Buffer.concat([this.#received, chunk])));
    // The server may cut us off while we write: that is what several tests are about.
    socket.on('error', () => {});
    socket.on('close', () => (this.#closed = true));
  }

  static async open(baseUrl: string, localAddress?: string): Promise<RawClient> {
    const url = new URL(baseUrl);
    const socket = connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port), localAddress });
    await once(socket, 'connect');
    return new RawClient(socket);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes written so far (accepted by the kernel or queued). */
  get sent(): number {
    return this.#sent;
  }

  write(data: string | Buffer): void {
    if (this.socket.destroyed) return;
    this.#sent += Buffer.byteLength(data);
    this.socket.write(data);
  }

  /** Writes `data` one byte every `everyMs` until it is all out or the server hangs up. */
  trickle(data: string, everyMs: number): { stop(): void } {
    let next = 0;
    const timer = setInterval(() => {
      if (next >= data.length || this.socket.destroyed) return clearInterval(timer);
      this.write(data[next++] ?? '');
    }, everyMs);
    return { stop: () => clearInterval(timer) };
  }

  /** The responses received so far that are complete (Content-Length bodies only). */
  responses(): RawResponse[] {
    const responses: RawResponse[] = [];
    let rest = this.#received;
    for (;;) {
      const end = rest.indexOf('\r\n\r\n');
      if (end === -1) return responses;
      const [statusLine = '', ...lines] = rest.subarray(0, end).toString('latin1').split('\r\n');
      const headers = Object.fromEntries(
        lines.map((line) => [line.slice(0, line.indexOf(':')).trim().toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      const length = Number(headers['content-length'] ?? 0);
      if (rest.length < end + 4 + length) return responses;
      const body = rest.subarray(end + 4, end + 4 + length).toString('utf8');
      responses.push({ status: Number(statusLine.split(' ')[1]), headers, body });
      rest = rest.subarray(end + 4 + length);
    }
  }

  async nextResponse(count = 1, timeoutMs = Timeouts.condition): Promise<RawResponse> {
    return waitFor(`response ${count}`, () => this.responses()[count - 1], { timeoutMs });
  }

  async waitClosed(timeoutMs = Timeouts.condition): Promise<void> {
    await waitFor('the server to close the connection', () => this.#closed, { timeoutMs });
  }

  close(): void {
    this.socket.destroy();
  }
}
