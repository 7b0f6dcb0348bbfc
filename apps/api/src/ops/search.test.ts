import type { HistoryEntry } from '@msgpipe/shared';
import { ADMIN_TOKEN, asAdmin, postMessage, request } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../test/api.fixture.js';

let api: RunningApi;
beforeAll(async () => {
  api = await startApi({ ADMIN_TOKEN });
});
afterAll(() => api.close());

const searchFor = (query: string, headers: Record<string, string> = asAdmin) =>
  request(api.baseUrl, `/admin/search?q=${encodeURIComponent(query)}`, { headers });

/** The fragment's text, tags stripped (inline ones without a space) and the escaped entities decoded. */
const text = (fragment: string) =>
  fragment.replace(/<\/?(?:code|span)[^>]*>/g, '').replace(/<[^>]+>/g, ' ').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&').replace(/\s+/g, ' ').trim();

describe('the ops page search (/admin/search?q=)', () => {
  it('finds a message by id while it waits, and escapes its HTML', async () => {
    const hostile = '<script>alert("x")</script> & <b>bold</b>';
    const posted = await postMessage(api.baseUrl, hostile, { localAddress: '127.0.0.91' });
    expect(posted.status).toBe(202);
    const id = posted.json().id as string;

    const response = await searchFor(id);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.text).not.toContain('<script>');
    expect(response.text).not.toContain('<b>bold');
    expect(response.text).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;');
    expect(text(response.text)).toContain(`Message ${id} queued from 127.0.0.91`);
    expect(text(response.text)).toContain(`message ${hostile}`);
  });

  it('says so for a message id it cannot find, with where to look instead', async () => {
    const response = await searchFor('Z'.repeat(22));
    expect(response.status).toBe(404);
    expect(text(response.text)).toBe(`No message ${'Z'.repeat(22)} in the queues. Finished jobs are kept 1 h; after that, search the sender's IP for its history.`);
  });

  it("shows an IP's history, newest first, for either form of an IPv6 address", async () => {
    const ip = '2001:db8::92';
    for (const [index, message] of ['first <i>', 'second'].entries()) {
      const time = new Date(Date.now() + index).toISOString();
      const entry: HistoryEntry = { id: `search-${index}`, message, sendTime: time, status: 'completed', response: `answer ${index}`, respondedAt: time };
      await api.recorder.record(ip, entry);
    }
    for (const query of [ip, '2001-db8--92', ' 2001:DB8::92 ']) {
      const response = await searchFor(query);
      expect(response.status, query).toBe(200);
      const rows = [...response.text.matchAll(/<tr><td>[\s\S]*?<\/tr>/g)].map(([row]) => text(row));
      expect(rows.map((row) => row.replace(/^\S+ \S+ /, '')), query).toEqual(['search-1 completed second answer 1', 'search-0 completed first <i> answer 0']);
    }
    expect((await searchFor(ip)).text).toContain('first &lt;i&gt;');
    expect(text((await searchFor('192.0.2.93')).text)).toBe('No history kept for 192.0.2.93: it sent nothing lately, or its history was erased.');
  });

  it('refuses a query that is neither, with a reason and the query escaped, never a 500', async () => {
    const cases: Array<[string, string]> = [
      ['<img src=x onerror=alert(1)>', '“<img src=x onerror=alert(1)>”: That is neither a message id (22 characters) nor an IPv4 or IPv6 address.'],
      ['', '“”: Type a message id or an IP address.'],
      ['1.2.3.4.5', '“1.2.3.4.5”: That is neither a message id (22 characters) nor an IPv4 or IPv6 address.'],
      ['x'.repeat(5000), `“${'x'.repeat(100)}”: That is longer than any message id or IP address.`],
    ];
    for (const [query, said] of cases) {
      const response = await searchFor(query);
      expect(response.status, query).toBe(400);
      expect(response.text).not.toContain('<img');
      expect(text(response.text)).toBe(said);
    }
  });

  it('is behind the admin token, like the page', async () => {
    expect((await searchFor('192.0.2.94', {})).status).toBe(401);
  });
});
