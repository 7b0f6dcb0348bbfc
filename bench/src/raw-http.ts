import { connect, type Socket } from 'node:net';

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:\s*(\d+)/i;

interface Pending {
  request: Buffer;
  resolve(status: number): void;
}

/**
 * One keep-alive HTTP/1.1 connection from a chosen source address, one request at a time (no
 * pipelining: a browser or an ordinary client behaves so). Far cheaper per request than
 * node:http's client, so the load generator takes less of the CPU the pipeline needs.
 * Answers must carry a Content-Length (the API's all do); anything else counts as an error.
 */
class KeepAliveConnection {
  #socket: Socket | undefined;
  #buffer: Buffer = Buffer.alloc(0);
  #inFlight: Pending | undefined;

  constructor(
    private readonly port: number,
    private readonly host: string,
    private readonly localAddress: string,
    private readonly onIdle: (connection: KeepAliveConnection) => void,
  ) {}

  get busy(): boolean {
    return this.#inFlight !== undefined;
  }

  send(pending: Pending): void {
    this.#inFlight = pending;
    this.#open().write(pending.request);
  }

  close(): void {
    this.#socket?.destroy();
  }

  #open(): Socket {
    if (this.#socket && !this.#socket.destroyed) return this.#socket;
    const socket = connect({ port: this.port, host: this.host, localAddress: this.localAddress, noDelay: true });
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', () => undefined); // 'close' follows
    socket.on('close', () => {
      if (this.#socket === socket) this.#socket = undefined;
      this.#buffer = Buffer.alloc(0);
      this.#finish(0);
    });
    this.#socket = socket;
    return socket;
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    const headerEnd = this.#buffer.indexOf(HEADER_END);
    if (headerEnd < 0) return;
    const head = this.#buffer.toString('latin1', 0, headerEnd);
    const length = CONTENT_LENGTH.exec(head);
    if (!length) {
      this.#socket?.destroy(); // cannot tell where the answer ends: give the connection up
      return;
    }
    const total = headerEnd + HEADER_END.length + Number(length[1]);
    if (this.#buffer.length < total) return;
    this.#buffer = this.#buffer.subarray(total);
    this.#finish(Number(head.slice(9, 12)));
  }

  #finish(status: number): void {
    const pending = this.#inFlight;
    if (!pending) return;
    this.#inFlight = undefined;
    pending.resolve(status);
    this.onIdle(this);
  }
}

/** The connections of one client address, and the requests waiting for one of them. */
export class AddressPool {
  readonly #connections: KeepAliveConnection[];
  readonly #waiting: Pending[] = [];

  constructor(port: number, host: string, localAddress: string, sockets: number) {
    this.#connections = Array.from({ length: sockets }, () => new KeepAliveConnection(port, host, localAddress, (idle) => this.#next(idle)));
  }

  request(request: Buffer): Promise<number> {
    return new Promise((resolve) => {
      const pending = { request, resolve };
      const idle = this.#connections.find((connection) => !connection.busy);
      if (idle) idle.send(pending);
      else this.#waiting.push(pending);
    });
  }

  close(): void {
    for (const connection of this.#connections) connection.close();
    for (const pending of this.#waiting.splice(0)) pending.resolve(0);
  }

  #next(idle: KeepAliveConnection): void {
    const pending = this.#waiting.shift();
    if (pending) idle.send(pending);
  }
}
