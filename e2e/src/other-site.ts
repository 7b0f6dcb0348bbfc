import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A web site of someone else's: serves each path's HTML from 127.0.0.2, a host of its own,
 * so to a browser its pages are cross-site to an API on 127.0.0.1.
 */
export class OtherSite {
  private constructor(
    private readonly server: Server,
    readonly origin: string,
  ) {}

  static async start(pages: Record<string, string>): Promise<OtherSite> {
    const server = createServer((request, response) => {
      const page = pages[request.url ?? ''];
      response.writeHead(page === undefined ? 404 : 200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(page ?? 'not found');
    });
    server.listen(0, '127.0.0.2');
    await once(server, 'listening');
    return new OtherSite(server, `http://127.0.0.2:${(server.address() as AddressInfo).port}`);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
