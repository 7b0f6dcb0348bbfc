import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Below the kernel's ephemeral ports, and clear of the well-known and registered ones. */
const LOWEST = 10_000;

/** Enough for a crowded machine; a host nothing can bind (no such address) fails rather than spins. */
const MAX_PROBES = 200;

/** Ports handed out by this process already: two callers at once never get the same one. */
const handedOut = new Set<number>();

/**
 * The kernel's ephemeral port range (Linux), where outgoing connections get their local ports;
 * undefined where it cannot be read or leaves no room below it.
 */
function ephemeralRange(): [number, number] | undefined {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return low !== undefined && high !== undefined && low > LOWEST + 1000 ? [low, high] : undefined;
  } catch {
    return undefined;
  }
}

/** Listens on `port` (0: one the kernel picks) for a moment; the port it got, or undefined. */
function probe(port: number, host: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(undefined));
    server.listen(port, host, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : undefined));
    });
  });
}

/**
 * A TCP port for a server of ours: nobody listens on it now, and this process has not handed it
 * out before (another process may still take it first: callers that can, retry). Where the
 * kernel tells its ephemeral range, the port comes from below it: a port from that range could
 * meanwhile become the local port of any outgoing connection (the API opens its Redis
 * connections before it listens), and the server would die of EADDRINUSE.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const range = ephemeralRange();
  for (let attempt = 0; attempt < MAX_PROBES; attempt++) {
    const candidate = range ? LOWEST + Math.floor(Math.random() * (range[0] - LOWEST)) : 0;
    if (handedOut.has(candidate)) continue;
    const port = await probe(candidate, host);
    if (port !== undefined && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port on ${host} after ${MAX_PROBES} tries`);
}
