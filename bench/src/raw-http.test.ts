import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AddressPool } from './raw-http.js';

/** A server that answers each request with `reply(n)`, written in pieces as small as `pieceSize`. */
async function listen(reply: (n: number) => string, pieceSize = 3): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  let n = 0;
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('data', async (request) => {
      if (!request.toString().includes('\r\n\r\n')) return;
      const text = reply(n++);
      for (let at = 0; at < text.length; at += pieceSize) {
        socket.write(text.slice(at, at + pieceSize));
        await new Promise((resolve) => setImmediate(resolve));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, sockets };
}

/** Resolves once the server has accepted `count` connections (and the last one has received data). */
async function waitForData(sockets: Socket[], count: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (sockets.length < count || sockets[count - 1]!.bytesRead === 0) {
    if (Date.now() > deadline) throw new Error(`no request on connection ${count} within 5 s`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const request = Buffer.from('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n');
let cleanup: Array<() => void> = [];
afterEach(() => cleanup.splice(0).forEach((close) => close()));

describe('AddressPool', () => {
  it('reads statuses of answers that arrive in pieces, one request per connection at a time, the rest queued', async () => {
    const statuses = [202, 429, 202];
    const { server, port, sockets } = await listen((n) => `HTTP/1.1 ${statuses[n]} X\r\ncontent-length: 7\r\n\r\n{"a":${n}}`);
    const pool = new AddressPool(port, '127.0.0.1', '127.0.0.1', 1);
    cleanup.push(() => pool.close(), () => server.close());
    expect(await Promise.all([pool.request(request), pool.request(request), pool.request(request)])).toEqual(statuses);
    expect(sockets).toHaveLength(1); // keep-alive: all three on one connection
  });

  it('counts an answer without Content-Length, or a connection closed mid-answer, as an error (0), and reconnects', async () => {
    const replies = ['HTTP/1.1 200 OK\r\n\r\nwho knows', 'HTTP/1.1 202 X\r\nContent-Length: 10\r\n\r\n{"a"', 'HTTP/1.1 202 X\r\nContent-Length: 2\r\n\r\n{}'];
    const { server, port, sockets } = await listen((n) => replies[n]!);
    const pool = new AddressPool(port, '127.0.0.1', '127.0.0.1', 1);
    cleanup.push(() => pool.close(), () => server.close());
    expect(await pool.request(request)).toBe(0); // the client gives the connection up
    const cutOff = pool.request(request);
    await waitForData(sockets, 2);
    sockets[1]!.destroy(); // the server hangs up half-way through the body
    expect(await cutOff).toBe(0);
    expect(await pool.request(request)).toBe(202);
    expect(sockets).toHaveLength(3);
  });
});
