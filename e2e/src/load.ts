import { randomBytes } from 'node:crypto';
import { request, type RequestOptions, type TestResponse } from '@msgpipe/testkit';

/**
 * A load driver for fault tests: POSTs messages from many client IPs with bounded
 * concurrency and classifies every answer, so a test can inject a fault mid-way and then
 * count. Every request has a deadline: a hang is recorded as a transport error, never waited out.
 */
export interface LoadOptions {
  baseUrl: string;
  /**
   * Client addresses, used round-robin: each is a client of its own. IPv4 ones (testkit's
   * clientIps) are the source address; IPv6 ones need `forwardedFrom`.
   */
  ips: readonly string[];
  /** The trusted proxy (a loopback address, with TRUST_PROXY=loopback) IPv6 clients come through. */
  forwardedFrom?: string;
  /** Requests to send in all (fewer if stop() is called first). */
  total: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Optional pacing, so the load spans a fault instead of finishing before it: requests started per second at most. */
  perSecond?: number;
  /**
   * With `perSecond`: requests start in groups of this many (at most `concurrency`) at once, at
   * the same average rate, as clients arriving together do. Evenly spaced requests each find
   * the API idle and go as jobs of their own; a group goes as one alone and the rest in a batch
   * (group commit). Default 1.
   */
  burst?: number;
  /** `?wait=MS` on every request (200 with the finished message also counts as accepted). */
  waitMs?: number;
  /** A request with no answer after this is a hang. Default 10 s. */
  requestTimeoutMs?: number;
  /** Names this load in message texts and keys, so several loads in one test never repeat a text. Default: random. */
  label?: string;
  /** Send `Idempotency-Key: <label>-<n>` with message n, as a careful client does. */
  idempotencyKeys?: boolean;
  /**
   * Behave like a client that retries: after a 503 or no answer, send the same message
   * again (same key, if any) after `delayMs`, for at most `forMs` after its first attempt.
   */
  retry?: { delayMs: number; forMs: number };
}

/** One answer that was neither an acceptance nor a proper 503, kept for the failure message. */
export interface Unexpected {
  ip: string;
  status: number;
  body: string;
}

export interface TransportError {
  ip: string;
  /** Node's error code (ECONNREFUSED, ECONNRESET, …) or the message. */
  code: string;
  /** When the request was started, ms since the epoch. */
  startedAt: number;
}

export interface LoadResult {
  /** Messages started (a retried message counts once; its every answer counts in `statuses`). */
  sent: number;
  /** Ids answered 202 (or 200 under ?wait) per IP, in the order they were accepted. */
  accepted: Map<string, string[]>;
  acceptedCount: number;
  /** Count of HTTP answers by status code. */
  statuses: Record<number, number>;
  /** 503s: how many, the slowest, how many broke the contract (no Retry-After or not `unavailable`), and when each came. */
  unavailable: { count: number; maxLatencyMs: number; malformed: number; answeredAt: number[] };
  /** Every answer other than 200/202/503: first 20 kept in `unexpected`, all counted. */
  unexpectedCount: number;
  unexpected: Unexpected[];
  /** Requests that got no HTTP answer: refused, reset or timed out. */
  transportErrors: TransportError[];
  /** Accepted requests started before `at` and answered after it (the drain of a shutdown). */
  acceptedSpanning(at: number): number;
}

export interface LoadProgress {
  sent: number;
  answered: number;
  accepted: number;
  unavailable: number;
  transportErrors: number;
}

export interface RunningLoad {
  readonly progress: Readonly<LoadProgress>;
  /** Resolves when every request has an outcome. */
  readonly done: Promise<LoadResult>;
  /** Starts no more requests; resolves once those in flight have their outcome. */
  stop(): Promise<LoadResult>;
}

const KEPT_UNEXPECTED = 20;

export function startLoad(options: LoadOptions): RunningLoad {
  const { baseUrl, ips, total, concurrency, perSecond, burst = 1, waitMs, requestTimeoutMs = 10_000 } = options;
  const accepted = new Map<string, string[]>(ips.map((ip) => [ip, []]));
  const acceptedTimes: Array<{ startedAt: number; answeredAt: number }> = [];
  const statuses: Record<number, number> = {};
  const unavailable = { count: 0, maxLatencyMs: 0, malformed: 0, answeredAt: [] as number[] };
  const unexpected: Unexpected[] = [];
  const transportErrors: TransportError[] = [];
  const progress: LoadProgress = { sent: 0, answered: 0, accepted: 0, unavailable: 0, transportErrors: 0 };
  let unexpectedCount = 0;
  let stopped = false;
  const startedAt = Date.now();
  const label = options.label ?? randomBytes(3).toString('hex');
  const path = waitMs === undefined ? '/v1/messages' : `/v1/messages?wait=${waitMs}`;

  /** True when the message is settled (accepted, or refused for a reason retrying cannot fix). */
  const record = (ip: string, requestStart: number, response: TestResponse): boolean => {
    const answeredAt = Date.now();
    statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    progress.answered++;
    if (response.status === 202 || (response.status === 200 && waitMs !== undefined)) {
      accepted.get(ip)!.push(response.json<{ id: string }>().id);
      acceptedTimes.push({ startedAt: requestStart, answeredAt });
      progress.accepted++;
      return true;
    } else if (response.status === 503) {
      progress.unavailable++;
      unavailable.count++;
      unavailable.maxLatencyMs = Math.max(unavailable.maxLatencyMs, answeredAt - requestStart);
      unavailable.answeredAt.push(answeredAt);
      if (response.headers['retry-after'] === undefined || !isUnavailableBody(response.text)) unavailable.malformed++;
      return false;
    }
    unexpectedCount++;
    if (unexpected.length < KEPT_UNEXPECTED) unexpected.push({ ip, status: response.status, body: response.text.slice(0, 300) });
    return true;
  };

  const attemptOne = async (sequence: number, ip: string): Promise<boolean> => {
    const requestStart = Date.now();
    try {
      const response = await request(baseUrl, path, {
        method: 'POST',
        ...asClient(ip, options.forwardedFrom, {
          'content-type': 'application/json',
          ...(options.idempotencyKeys && { 'idempotency-key': `${label}-${sequence}` }),
        }),
        body: JSON.stringify({ message: `hello, load ${label} message ${sequence}` }),
        timeoutMs: requestTimeoutMs,
      });
      return record(ip, requestStart, response);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      transportErrors.push({ ip, code, startedAt: requestStart });
      progress.transportErrors++;
      return false;
    }
  };

  const sendOne = async (sequence: number) => {
    const ip = ips[sequence % ips.length]!;
    const giveUpAt = Date.now() + (options.retry?.forMs ?? 0);
    while (!(await attemptOne(sequence, ip)) && options.retry && Date.now() < giveUpAt) {
      await new Promise((resolve) => setTimeout(resolve, options.retry!.delayMs));
    }
  };

  // Pacing: request n may not start before its group's turn, startedAt + (first of its group) / perSecond.
  const notBefore = (sequence: number) => (perSecond ? startedAt + ((sequence - (sequence % burst)) * 1000) / perSecond : 0);
  const lane = async () => {
    while (!stopped && progress.sent < total) {
      const sequence = progress.sent++;
      const delay = notBefore(sequence) - Date.now();
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      await sendOne(sequence);
    }
  };

  const done = Promise.all(Array.from({ length: concurrency }, lane)).then(
    (): LoadResult => ({
      sent: progress.sent,
      accepted,
      acceptedCount: progress.accepted,
      statuses,
      unavailable,
      unexpectedCount,
      unexpected,
      transportErrors,
      acceptedSpanning: (at) => acceptedTimes.filter(({ startedAt: start, answeredAt }) => start < at && answeredAt > at).length,
    }),
  );
  return {
    progress,
    done,
    stop() {
      stopped = true;
      return done;
    },
  };
}

/**
 * Request options that make the API see `ip` as the client. Loopback has no IPv6 addresses to
 * send from but ::1, so an IPv6 client comes through `proxy` with X-Forwarded-For, as behind a
 * load balancer.
 */
export function asClient(ip: string, proxy: string | undefined, headers: Record<string, string> = {}): Pick<RequestOptions, 'localAddress' | 'headers'> {
  if (!ip.includes(':')) return { localAddress: ip, headers };
  if (!proxy) throw new Error(`IPv6 client ${ip} needs a trusted proxy address to come through`);
  return { localAddress: proxy, headers: { ...headers, 'x-forwarded-for': ip } };
}

function isUnavailableBody(text: string): boolean {
  try {
    return JSON.parse(text)?.error?.code === 'unavailable';
  } catch {
    return false;
  }
}

/** One line for the test log: what the load met. */
export function summarize(result: LoadResult): string {
  const statuses = Object.entries(result.statuses).map(([status, count]) => `${status}×${count}`).join(' ');
  const transport = result.transportErrors.length ? ` transport errors ×${result.transportErrors.length}` : '';
  return `${result.sent} sent: ${statuses}${transport}; slowest 503 ${result.unavailable.maxLatencyMs} ms`;
}
