import type { OutgoingHttpHeaders } from 'node:http';
import { postMessage, waitFor } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from './api.fixture.js';
import { startEchoWorker } from './echo-worker.fixture.js';

/** Addresses the headers below claim to be; none of them may ever show up as a client. */
const CLAIMED = ['203.0.113.9', '198.51.100.7', '2001:db8::1', '10.1.2.3', '192.0.2.1', '1.1.1.1', '8.8.8.8'];

/** Every way a client might try to name its own address, well-formed or not. */
const SPOOFS: Array<[string, OutgoingHttpHeaders]> = [
  ['X-Forwarded-For', { 'x-forwarded-for': '203.0.113.9' }],
  ['X-Forwarded-For chain', { 'x-forwarded-for': '198.51.100.7, 203.0.113.9, 10.1.2.3' }],
  ['X-Forwarded-For, two header lines', { 'x-forwarded-for': ['198.51.100.7', '203.0.113.9'] }],
  ['X-Forwarded-For naming a loopback address', { 'x-forwarded-for': '127.0.0.1' }],
  ['X-Forwarded-For IPv6', { 'x-forwarded-for': '2001:db8::1' }],
  ['X-Forwarded-For with a port', { 'x-forwarded-for': '203.0.113.9:443, [2001:db8::1]:80' }],
  ['X-Forwarded-For "unknown"', { 'x-forwarded-for': 'unknown' }],
  ['X-Forwarded-For empty hops', { 'x-forwarded-for': ' , ,203.0.113.9,, ' }],
  ['X-Forwarded-For 8 kB of junk', { 'x-forwarded-for': `${'x,'.repeat(4000)}203.0.113.9` }],
  ['Forwarded', { forwarded: 'for=203.0.113.9;proto=https;by=192.0.2.1' }],
  ['Forwarded IPv6, quoted', { forwarded: 'for="[2001:db8::1]:4711", for=198.51.100.7' }],
  ['Forwarded, malformed', { forwarded: 'for=;;;==,"' }],
  ['X-Real-IP', { 'x-real-ip': '203.0.113.9' }],
  ['CF-Connecting-IP', { 'cf-connecting-ip': '1.1.1.1' }],
  ['True-Client-IP', { 'true-client-ip': '8.8.8.8' }],
  ['X-Client-IP', { 'x-client-ip': '10.1.2.3' }],
  ['X-Cluster-Client-IP', { 'x-cluster-client-ip': '198.51.100.7' }],
  ['Fastly-Client-IP', { 'fastly-client-ip': '203.0.113.9' }],
  ['Client-IP', { 'client-ip': '203.0.113.9' }],
  ['X-Original-Forwarded-For', { 'x-original-forwarded-for': '203.0.113.9' }],
  ['Via', { via: '1.1 203.0.113.9' }],
  [
    'all of them at once',
    {
      'x-forwarded-for': '203.0.113.9',
      forwarded: 'for=198.51.100.7',
      'x-real-ip': '2001:db8::1',
      'cf-connecting-ip': '1.1.1.1',
      'true-client-ip': '8.8.8.8',
      'x-client-ip': '10.1.2.3',
    },
  ],
];

/** Every key of this API's prefix with the address in its name (as the `--scan` recipe of docs/redis.md). */
async function keysMentioning(api: RunningApi, ip: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await api.redis.scan(cursor, 'MATCH', `${api.config.redis.prefix}:*${ip.replaceAll(':', '-')}*`, 'COUNT', 1000);
    found.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return found;
}

/** Asserts the address recorded for every case, in the 202 and in the history a worker wrote. */
async function expectRecordedAsSocket(api: RunningApi, subnet: number): Promise<void> {
  const accepted = await Promise.all(
    SPOOFS.map(async ([, headers], index) => {
      const socketIp = `127.0.${subnet}.${index + 1}`;
      const response = await postMessage(api.baseUrl, `spoof ${index}`, { localAddress: socketIp, headers });
      expect(response.status).toBe(202);
      return { socketIp, ...(response.json() as { id: string; ip: string }) };
    }),
  );
  expect(accepted.map(({ ip }) => ip)).toEqual(accepted.map(({ socketIp }) => socketIp));
  for (const { socketIp, id } of accepted) {
    const entry = await waitFor(`history of ${socketIp}`, () => api.history.find(socketIp, id));
    expect(entry.message).toMatch(/^spoof \d+$/);
  }
  // Nothing was stored under any address a header claimed.
  expect(await keysMentioning(api, accepted[0]!.socketIp)).not.toEqual([]); // the pattern does find stored addresses
  for (const claimed of CLAIMED) expect(await keysMentioning(api, claimed), claimed).toEqual([]);
}

describe('a client behind no trusted proxy cannot change its recorded IP with any header', () => {
  const running: Array<{ close(): Promise<void> }> = [];
  const start = async (env: Record<string, string>) => {
    const api = await startApi({ RATE_LIMIT_PER_MINUTE: '0', ...env });
    const worker = await startEchoWorker(api);
    running.push(worker, api); // the worker closes first
    return api;
  };
  afterAll(async () => {
    for (const each of running) await each.close();
  });

  it('with TRUST_PROXY unset', async () => {
    await expectRecordedAsSocket(await start({}), 71);
  });

  it('with TRUST_PROXY set to proxies other than the peer', async () => {
    await expectRecordedAsSocket(await start({ TRUST_PROXY: '10.0.0.0/8, 192.0.2.1, 2001:db8::/32, 127.0.0.1' }), 72);
  });
});

describe('malformed X-Forwarded-For from a trusted proxy', () => {
  let api: RunningApi;
  beforeAll(async () => {
    api = await startApi({ RATE_LIMIT_PER_MINUTE: '0', TRUST_PROXY: 'loopback' });
  });
  afterAll(() => api.close());
  const PROXY = '127.0.73.1';

  it.each([
    ['unknown', PROXY],
    ['', PROXY],
    [' , ', PROXY],
    ['203.0.113.9,', PROXY],
    ['203.0.113.9, unknown', PROXY],
    ['unknown, 203.0.113.9', '203.0.113.9'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['::ffff:203.0.113.9', '203.0.113.9'],
    ['fe80::1%eth0', 'fe80::1'],
    ['300.1.1.1', PROXY],
    ['1.2.3', PROXY],
    ['0x7f.0.0.1', PROXY],
    ['203.0.113.9 198.51.100.7', PROXY],
    ['é203.0.113.9', PROXY],
    [`${'1.2.3.4,'.repeat(1000)}junk`, PROXY],
    ['198.51.100.7, 203.0.113.9 , 127.0.0.9', '203.0.113.9'],
  ])('%j: 202 with a client of %s, never a made-up address', async (header, expected) => {
    const response = await postMessage(api.baseUrl, 'hi', {
      localAddress: PROXY,
      headers: { 'x-forwarded-for': header },
    });
    expect(response.status).toBe(202);
    expect(response.json().ip).toBe(expected);
  });
});

/** Proxies that write the client's port too: the address is believed, the port dropped. */
describe('X-Forwarded-For entries with a port, from a trusted proxy', () => {
  let api: RunningApi;
  let worker: { close(): Promise<void> };
  beforeAll(async () => {
    api = await startApi({ RATE_LIMIT_PER_MINUTE: '0', TRUST_PROXY: 'loopback' });
    worker = await startEchoWorker(api);
  });
  afterAll(async () => {
    await worker.close();
    await api.close();
  });
  const PROXY = '127.0.73.2';
  const send = (header: string) => postMessage(api.baseUrl, 'hi', { localAddress: PROXY, headers: { 'x-forwarded-for': header } });

  it.each([
    ['198.51.100.7:5555', '198.51.100.7'],
    ['[2001:db8::7]:443', '2001:db8::7'],
    ['[2001:DB8:0::7]:1', '2001:db8::7'],
    ['198.51.100.7:65535', '198.51.100.7'],
    ['[::ffff:198.51.100.8]:80', '198.51.100.8'],
    ['1.1.1.1:9, 198.51.100.9:5555, 127.0.0.9:8080', '198.51.100.9'],
    ['203.0.113.9:443, [2001:db8::1]:80', '2001:db8::1'],
  ])('%j is the client %s', async (header, expected) => {
    const response = await send(header);
    expect(response.status).toBe(202);
    expect(response.json().ip).toBe(expected);
  });

  it.each([
    '198.51.100.7:',
    '198.51.100.7:65536',
    '198.51.100.7:123456',
    '198.51.100.7:-1',
    '198.51.100.7:80:80',
    '198.51.100.7: 80',
    '[198.51.100.7]:80',
    '[2001:db8::7]:',
    '[2001:db8::7]x',
    '[2001:db8::7]:443:1',
    '[2001:db8::7:443',
    '2001:db8::7]:443',
    '[nonsense]:443',
    '300.1.1.1:80',
  ])('%j is malformed: the walk stops at the proxy', async (header) => {
    const response = await send(header);
    expect(response.status).toBe(202);
    expect(response.json().ip).toBe(PROXY);
  });

  it('clients behind such a proxy keep their own histories', async () => {
    const quietProxy = '127.0.73.3';
    const via = (header: string) => postMessage(api.baseUrl, 'hi', { localAddress: quietProxy, headers: { 'x-forwarded-for': header } });
    const first = await via('198.51.100.21:40001');
    const second = await via('198.51.100.22:40001');
    expect([first.json().ip, second.json().ip]).toEqual(['198.51.100.21', '198.51.100.22']);
    const firstEntry = await waitFor('the first client’s history', () => api.history.find('198.51.100.21', first.json().id));
    expect(firstEntry.message).toBe('hi');
    expect(await api.history.list('198.51.100.22', 10)).not.toContainEqual(expect.objectContaining({ id: first.json().id }));
    expect(await api.history.list(quietProxy, 10)).toEqual([]);
  });
});
