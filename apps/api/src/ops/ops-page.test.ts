import type { HistoryEntry } from '@msgpipe/shared';
import { ADMIN_TOKEN, postMessage, request } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../test/api.fixture.js';

const asAdmin = { authorization: `Basic ${Buffer.from(`ops:${ADMIN_TOKEN}`).toString('base64')}` };

let api: RunningApi;
beforeAll(async () => {
  api = await startApi({ ADMIN_TOKEN });
});
afterAll(() => api.close());

/** How many bars the chart with this data-testid draws. */
function chartBars(page: string, id: string): number {
  const chart = new RegExp(`<svg[^>]*data-testid="${id}"[\\s\\S]*?</svg>`).exec(page)?.[0] ?? '';
  return chart.match(/<rect class="bar"/g)?.length ?? 0;
}

let counter = 0;
async function send(ip: string, count: number) {
  for (let n = 0; n < count; n++) {
    counter++;
    const now = new Date().toISOString();
    const entry: HistoryEntry = { id: `ops-${counter}`, message: 'm', sendTime: now, status: 'completed', response: 'r', respondedAt: now };
    await api.recorder.record(ip, entry);
  }
}

/** The text of the element with a data-testid, tags stripped. */
function testId(page: string, id: string): string | undefined {
  const match = new RegExp(`data-testid="${id}"[^>]*>([\\s\\S]*?)</(?:div|table|time)>`).exec(page);
  return match?.[1]?.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
}

describe('the ops page', () => {
  it('renders the numbers, the chart, the leaderboards and the dashboard link on the server', async () => {
    await send('192.0.2.71', 4);
    await send('2001:db8::72', 2);
    expect((await postMessage(api.baseUrl, 'waiting', { localAddress: '127.0.0.71' })).status).toBe(202);

    const response = await request(api.baseUrl, '/admin', { headers: asAdmin });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    const page = response.text;
    expect(testId(page, 'messages-today')).toBe('6');
    expect(testId(page, 'total-messages')).toBe('6');
    expect(testId(page, 'this-minute')).toMatch(/^\d+$/);
    expect(testId(page, 'unique-ips-today')).toBe('2');
    expect(testId(page, 'online-now')).toBe('2');
    expect(testId(page, 'queue-waiting')).toBe('1');
    expect(testId(page, 'queue-failed')).toBe('0');
    expect(testId(page, 'top-today')).toBe('IP messages 192.0.2.71 4 2001:db8::72 2');
    expect(page).toContain('href="/admin/queues"');
    expect(chartBars(page, 'per-minute-chart')).toBe(60);
    expect(chartBars(page, 'per-day-chart')).toBe(30);
    // The headline: one message waits, and no worker runs here to take it.
    expect(testId(page, 'queue-latency')).toMatch(/^\d+ s$/);
    expect(testId(page, 'worker-count')).toBe('0');
    expect(testId(page, 'in-flight')).toBe('0');
    expect(testId(page, 'paused')).toBe('running');
    expect(testId(page, 'workers')).toContain('no worker is connected');
    expect(testId(page, 'partitions')).toMatch(/^queue state waiting active delayed oldest waiting messages running 1 0 0 \d+ s$/);
    expect(page).toContain('data-testid="search-input"');
    expect(page).toMatch(/<script type="module" nonce="[^"]+">/);
  });

  it('serves the live fragment the page polls, without caching', async () => {
    const response = await request(api.baseUrl, '/admin/live', { headers: asAdmin });
    expect(response.status).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.text).not.toContain('<html');
    expect(testId(response.text, 'total-messages')).toBe('6');
  });

  it('escapes what it shows', async () => {
    // IPs are validated before they are stored, so forge a hostile member straight into Redis.
    await api.redis.zincrby(api.keys.senders(), 1000, '<img src=x onerror=alert(1)>');
    const page = (await request(api.baseUrl, '/admin', { headers: asAdmin })).text;
    expect(page).not.toContain('<img src=x');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('answers 503 while Redis cannot be read, like every other Redis-backed route', async () => {
    const stalled = await startApi({ ADMIN_TOKEN });
    stalled.redis.disconnect();
    try {
      for (const path of ['/admin', '/admin/live', '/admin/search?q=192.0.2.1']) {
        const response = await request(stalled.baseUrl, path, { headers: asAdmin });
        expect(response.status, path).toBe(503);
        expect(response.json().error.code).toBe('unavailable');
      }
    } finally {
      await stalled.close();
    }
  });
});
