import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { normalizeIp } from '@msgpipe/shared';
import { postMessage, request, Timeouts } from '@msgpipe/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from './api.fixture.js';

const ADMIN = 'fuzz-admin-token-0123456789';
const NUM_RUNS = Number(process.env.FUZZ_RUNS ?? 2_000);
/** FUZZ_SEED=<seed> (printed by fast-check on failure) replays a failing run. */
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

interface FuzzRequest {
  method: string;
  path: string;
  headers: OutgoingHttpHeaders;
  body: Buffer | undefined;
  localAddress: string;
}

interface FuzzResponse {
  status: number;
  contentType: string;
  text: string;
}

/** Characters Node's HTTP client lets through in a header value (no CR, LF or NUL). */
const headerSafe = (text: string) => text.replace(/[^\t\x20-\x7e\x80-\xff]/g, '');

const junk = fc.string({ unit: 'binary-ascii', maxLength: 60 }).map(headerSafe);
const addressList = fc
  .array(fc.oneof(fc.ipV4(), fc.ipV6(), junk, fc.constantFrom('unknown', '', ' ', '[::1]:80', '127.0.0.1', '::ffff:10.0.0.1', '198.51.100.7:5555', '[2001:db8::7]:443', '1.2.3.4:99999')), { maxLength: 6 })
  .map((hops) => hops.join(fc.sample(fc.constantFrom(',', ', ', ' ,'), 1)[0]));

const methods = fc.oneof(
  fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
  fc.stringMatching(/^[A-Z]{1,10}$/),
);

/** Known routes (so the fuzz reaches their validation), with junk where their parameters go. */
const paths = fc.oneof(
  fc.constantFrom('/v1/messages', '/v1/history', '/v1/stats', '/healthz', '/readyz', '/metrics', '/', '/admin', '/admin/queues'),
  fc.stringMatching(/^[\x21-\x7e]{0,30}$/).map((id) => `/v1/messages/${id}`),
  fc.stringMatching(/^[\x21-\x2e\x30-\x7e]{0,45}$/).map((ip) => `/v1/ips/${ip}/history`),
  fc.webPath(),
  fc.stringMatching(/^\/[\x21-\x7e\x80-\xff]{0,40}$/),
);

/** Never a valid long `wait`: the API would hold the request for up to 30 s. */
const queryValue = fc.oneof(fc.integer({ min: -5, max: 40 }).map(String), junk.filter((text) => !/^\s*\d{3,}\s*$/.test(text)));
const queries = fc.oneof(
  fc.constant(''),
  fc
    .array(fc.tuple(fc.constantFrom('wait', 'limit', 'top', 'x', ''), queryValue), { maxLength: 3 })
    .map((pairs) => `?${pairs.map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('&')}`),
  fc.stringMatching(/^\?[\x21-\x7e]{0,30}$/),
);

const contentTypes = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=latin1',
    'application/x-www-form-urlencoded',
    'text/plain',
    'multipart/form-data; boundary=x',
    '',
  ),
  junk,
);

const bodies = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }).map((message) => JSON.stringify({ message })),
  fc.json({ maxDepth: 4 }),
  fc.string({ unit: 'binary-ascii', maxLength: 300 }).map((message) => `message=${encodeURIComponent(message)}`),
  fc.string({ unit: 'binary-ascii', maxLength: 300 }),
  fc.uint8Array({ maxLength: 500 }).map((bytes) => Buffer.from(bytes)),
  fc.integer({ min: 1, max: 5_000 }).map((depth) => `{"message":${'['.repeat(depth)}`),
  fc.integer({ min: 8_000, max: 80_000 }).map((size) => JSON.stringify({ message: 'x'.repeat(size) })),
);

const authorizations = fc.oneof(
  junk,
  fc.constant(`Bearer ${ADMIN}`),
  junk.map((token) => `Bearer ${token}`),
  junk.map((credentials) => `Basic ${Buffer.from(credentials, 'latin1').toString('base64')}`),
  fc.stringMatching(/^Basic [A-Za-z0-9+/=]{0,20}$/),
);

const optionalHeaders = fc.record(
  {
    'content-type': contentTypes,
    'x-forwarded-for': addressList,
    forwarded: junk.map((value) => `for=${value}`),
    'x-real-ip': fc.oneof(fc.ipV4(), junk),
    'idempotency-key': junk,
    authorization: authorizations,
    'last-event-id': junk,
    accept: fc.constantFrom('*/*', 'text/html', 'application/json', 'text/event-stream'),
  },
  { requiredKeys: [] },
);

const cleanHeaders = optionalHeaders.map((headers) =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, headerSafe(value)])),
);
const sourceAddresses = fc.integer({ min: 1, max: 200 }).map((host) => `127.0.90.${host}`);
const optionalBody = fc.option(
  bodies.map((body) => (typeof body === 'string' ? Buffer.from(body) : body)),
  { nil: undefined },
);

const anyRequest: fc.Arbitrary<FuzzRequest> = fc.record({
  method: methods,
  path: fc.tuple(paths, queries).map(([path, query]) => `${path}${query}`),
  headers: cleanHeaders,
  body: optionalBody,
  localAddress: sourceAddresses,
});

/** Half the runs aim at POST /v1/messages, mostly with a proper media type, so many get past it to the body, the limiter and the queue. */
const messageRequest: fc.Arbitrary<FuzzRequest> = fc.record({
  method: fc.constant('POST'),
  path: queries.map((query) => `/v1/messages${query}`),
  headers: fc
    .tuple(
      cleanHeaders,
      fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom('application/json', 'application/json; charset=UTF-8', 'application/x-www-form-urlencoded') },
        { weight: 1, arbitrary: contentTypes.map(headerSafe) },
      ),
    )
    .map(([headers, type]) => ({ ...headers, 'content-type': type })),
  body: optionalBody,
  localAddress: sourceAddresses,
});

const requests = fc.oneof(anyRequest, messageRequest);

/** Sends one fuzzed request; an event stream is read to its headers and then let go. */
function send(baseUrl: string, fuzz: FuzzRequest): Promise<FuzzResponse> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(baseUrl);
    // The path goes out as generated, not normalized by a URL parser: "//", "%zz" and all.
    const req = httpRequest({
      hostname,
      port,
      path: fuzz.path,
      method: fuzz.method,
      // Node sends a GET's or HEAD's body unframed unless told its length (bad framing is body-limits.test.ts's part).
      headers: fuzz.body === undefined ? fuzz.headers : { ...fuzz.headers, 'content-length': fuzz.body.length },
      localAddress: fuzz.localAddress,
      agent: false,
      timeout: Timeouts.request,
    });
    req.on('response', (res) => {
      const contentType = String(res.headers['content-type'] ?? '');
      if (contentType.startsWith('text/event-stream')) {
        resolve({ status: res.statusCode ?? 0, contentType, text: '' });
        res.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${fuzz.method} ${fuzz.path} timed out`)));
    req.on('error', reject);
    req.end(fuzz.body);
  });
}

/**
 * Addresses a request could legitimately be recorded as: its socket, or an X-Forwarded-For hop
 * (a trusted proxy sent it), with or without the port a proxy may have written after it.
 */
function believableIps(fuzz: FuzzRequest): string[] {
  const forwarded = String(fuzz.headers['x-forwarded-for'] ?? '').split(',');
  const withoutPort = (hop: string) => hop.trim().replace(/^\[(.*)\]:\d+$/, '$1').replace(/^([\d.]+):\d+$/, '$1');
  const addresses = forwarded.flatMap((hop) => [normalizeIp(hop), normalizeIp(withoutPort(hop))]);
  return [fuzz.localAddress, ...addresses.filter((ip): ip is string => ip !== undefined)];
}

function checkResponse(fuzz: FuzzRequest, response: FuzzResponse): void {
  expect(response.status, 'no client input yields a 5xx').toBeLessThan(500);
  if (response.status >= 400 && fuzz.method !== 'HEAD') {
    expect(response.contentType).toMatch(/^application\/json/);
    const body = JSON.parse(response.text) as unknown;
    expect(body).toEqual({ error: { code: expect.stringMatching(/^[a-z]+(_[a-z]+)*$/), message: expect.any(String) } });
  }
  if (response.status === 202) {
    expect(believableIps(fuzz)).toContain((JSON.parse(response.text) as { ip: string }).ip);
  }
}

describe('fuzzing the API over HTTP', () => {
  let api: RunningApi;
  beforeAll(async () => {
    // A trusted proxy on loopback, so X-Forwarded-For junk goes through the address parser.
    api = await startApi({ ADMIN_TOKEN: ADMIN, TRUST_PROXY: 'loopback', RATE_LIMIT_PER_MINUTE: '30', MESSAGE_MAX_BYTES: '4096' });
  });
  afterAll(() => api.close());

  it('never answers 5xx, always answers errors in the error shape, and stays healthy', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(requests, async (fuzz) => {
        const response = await send(api.baseUrl, fuzz);
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        checkResponse(fuzz, response);
      }),
      { numRuns: NUM_RUNS, ...(SEED !== undefined && { seed: SEED }) },
    );
    // The fuzz did reach past the front door: accepted messages, refused bodies, unknown routes.
    for (const status of [202, 400, 404, 415]) expect(statuses.get(status) ?? 0, `answers with ${status}`).toBeGreaterThan(0);

    expect((await request(api.baseUrl, '/healthz')).status).toBe(200);
    expect((await request(api.baseUrl, '/readyz')).status).toBe(200);
    const after = await postMessage(api.baseUrl, 'still here', { localAddress: '127.0.91.1' });
    expect(after.status).toBe(202);
    expect(after.json().ip).toBe('127.0.91.1');
  });
});
