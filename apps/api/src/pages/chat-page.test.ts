import { request } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../test/api.fixture.js';

let api: RunningApi;
beforeAll(async () => {
  api = await startApi({ ADMIN_TOKEN: 'chat-page-test-token-0123' });
});
afterAll(() => api.close());

describe('GET / (the chat page)', () => {
  it('serves a self-contained page to anyone, no token needed', async () => {
    const response = await request(api.baseUrl, '/');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.text).toContain('<form>');
    expect(response.text).toMatch(/<script type="module" nonce="[^"]+">/);
    // No external scripts or styles: nothing to build, nothing to fetch from elsewhere.
    expect(response.text).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet/);
  });

  it('speaks only the public API', async () => {
    const page = (await request(api.baseUrl, '/')).text;
    const paths = [...page.matchAll(/['"](\/[a-z0-9/?=_-]*)['"]/gi)].map((match) => match[1]);
    expect(new Set(paths)).toEqual(new Set(['/v1/history?limit=20', '/v1/messages', '/v1/stream']));
  });

  it('builds what it shows with textContent, never innerHTML', async () => {
    const page = (await request(api.baseUrl, '/')).text;
    expect(page).not.toContain('innerHTML');
    expect(page).toContain('textContent');
  });
});
