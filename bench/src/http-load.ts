import { clientIps } from '@msgpipe/testkit/processes';
import { LatencySamples } from './latency.js';
import { AddressPool } from './raw-http.js';
import { RateSchedule } from './schedule.js';

/** What the load generator saw over one run. */
export interface HttpResult {
  sent: number;
  accepted: number;
  /** Responses other than 202, by status; `error` for requests that got no response. */
  refused: Record<string, number>;
  /** Request → response, ms; in paced runs from the time the request was due. */
  latency: LatencySamples;
  seconds: number;
}

/** The bench's client addresses: 127.1.0.1, 127.1.0.2, … */
const CLIENT_BLOCK = 1;

/** Many clients: a few keep-alive connections per source address, so the API sees many IPs. */
export class HttpClients {
  readonly #pools: AddressPool[];
  readonly #head: string;

  constructor(baseUrl: string, ips: number, socketsPerIp: number) {
    const url = new URL(baseUrl);
    this.#head = `POST /v1/messages HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: `;
    this.#pools = clientIps(CLIENT_BLOCK, ips).map((address) => new AddressPool(Number(url.port), url.hostname, address, socketsPerIp));
  }

  get ips(): number {
    return this.#pools.length;
  }

  /** POSTs one message from client `client`; resolves with the status (0: no response). */
  post(client: number, message: string): Promise<number> {
    const body = JSON.stringify({ message });
    const request = Buffer.from(`${this.#head}${Buffer.byteLength(body)}\r\n\r\n${body}`);
    return this.#pools[client % this.#pools.length]!.request(request);
  }

  close(): void {
    for (const pool of this.#pools) pool.close();
  }
}

function emptyResult(): HttpResult {
  return { sent: 0, accepted: 0, refused: {}, latency: new LatencySamples(), seconds: 0 };
}

function count(result: HttpResult, status: number, ms: number): void {
  result.latency.add(ms);
  if (status === 202) result.accepted++;
  else {
    const key = status === 0 ? 'error' : String(status);
    result.refused[key] = (result.refused[key] ?? 0) + 1;
  }
}

/** Closed loop: `connections` clients, each sending its next message as soon as the last is answered. */
export async function closedLoop(clients: HttpClients, connections: number, seconds: number, message: (n: number) => string): Promise<HttpResult> {
  const result = emptyResult();
  const started = performance.now();
  const end = started + seconds * 1000;
  let n = 0;
  await Promise.all(
    Array.from({ length: connections }, async (_, client) => {
      while (performance.now() < end) {
        const sentAt = performance.now();
        result.sent++;
        const status = await clients.post(client, message(n++));
        count(result, status, performance.now() - sentAt);
      }
    }),
  );
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

/**
 * Open loop: messages leave at fixed times (rate per second) whether or not earlier ones were
 * answered, round-robin over the client addresses; latency counts from the due time.
 */
export async function pacedLoad(clients: HttpClients, rate: number, seconds: number, message: (n: number) => string): Promise<HttpResult> {
  const result = emptyResult();
  const schedule = new RateSchedule(performance.now(), rate, Math.round(rate * seconds));
  const inFlight = new Set<Promise<void>>();
  await new Promise<void>((done) => {
    const tick = () => {
      const due = schedule.dueBy(performance.now());
      for (; result.sent < due; result.sent++) {
        const index = result.sent;
        const dueAt = schedule.dueAt(index);
        const sending = clients.post(index, message(index)).then((status) => {
          count(result, status, performance.now() - dueAt);
          inFlight.delete(sending);
        });
        inFlight.add(sending);
      }
      if (result.sent < schedule.total) setTimeout(tick, 1);
      else done();
    };
    tick();
  });
  await Promise.all(inFlight);
  result.seconds = schedule.total / rate;
  return result;
}
