import { ADMIN_TOKEN, asAdmin, request, type TestResponse } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../test/api.fixture.js';

/** The CSP's directives, by name. */
function directives(response: TestResponse): Map<string, string[]> {
  const policy = String(response.headers['content-security-policy'] ?? '');
  return new Map(
    policy
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name = '', ...values]) => [name, values]),
  );
}

/** Every page the API serves as HTML, and whether it is an admin page. */
const HTML_PAGES = [
  ['/', false],
  ['/docs', false],
  ['/admin', true],
  ['/admin/live', true],
  ['/admin/queues', true],
  ['/admin/queues/queue/messages', true],
] as const;

describe('security headers', () => {
  let api: RunningApi;
  beforeAll(async () => {
    api = await startApi({ ADMIN_TOKEN });
  });
  afterAll(() => api.close());

  describe.each(HTML_PAGES)('%s', (path, admin) => {
    let page: TestResponse;
    beforeAll(async () => {
      page = await request(api.baseUrl, path, { headers: asAdmin });
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
    });

    it('may not be framed by any page, its own origin’s included: CSP frame-ancestors and X-Frame-Options', () => {
      expect(directives(page).get('frame-ancestors')).toEqual(["'none'"]);
      expect(page.headers['x-frame-options']).toBe('DENY');
    });

    it('has a CSP that runs no script but its own: no inline script without a nonce, no eval, no plugins', () => {
      const csp = directives(page);
      const scripts = csp.get('script-src') ?? csp.get('default-src') ?? [];
      expect(scripts).not.toContain("'unsafe-inline'");
      expect(scripts).not.toContain("'unsafe-eval'");
      expect(scripts.filter((source) => !["'self'"].includes(source) && !source.startsWith("'nonce-"))).toEqual([]);
      expect(csp.get('object-src')).toEqual(["'none'"]);
      expect(csp.get('default-src')).toEqual(["'self'"]);
      expect(csp.get('form-action')).toEqual(["'self'"]);
    });

    it('says nosniff and keeps its URL from other sites (Referrer-Policy)', () => {
      expect(page.headers['x-content-type-options']).toBe('nosniff');
      expect(page.headers['referrer-policy']).toBe('same-origin');
    });

    it(admin ? 'is never stored by a browser or a proxy (no-store)' : 'leaves caching alone', () => {
      if (admin) expect(page.headers['cache-control']).toBe('no-store');
      else expect(page.headers['cache-control']).toBeUndefined();
    });
  });

  it('gives an inline script the nonce of its own answer, a new one each time', async () => {
    const nonces = [];
    for (const path of ['/', '/', '/admin']) {
      const page = await request(api.baseUrl, path, { headers: asAdmin });
      const nonce = /<script type="module" nonce="([^"]+)">/.exec(page.text)?.[1];
      expect(nonce, path).toBeDefined();
      expect(directives(page).get('script-src')).toContain(`'nonce-${nonce}'`);
      nonces.push(nonce);
    }
    expect(new Set(nonces).size).toBe(3);
  });

  it('sends nosniff, the CSP and no-store with every admin answer, refusals and JSON included', async () => {
    for (const [path, headers] of [
      ['/admin', {}],
      ['/v1/stats', asAdmin],
      ['/admin/queues/api/queues', asAdmin],
    ] as const) {
      const response = await request(api.baseUrl, path, { headers });
      expect(response.headers['x-content-type-options'], path).toBe('nosniff');
      expect(directives(response).get('frame-ancestors'), path).toEqual(["'none'"]);
      expect(response.headers['cache-control'], path).toBe('no-store');
    }
  });

  it('sends nosniff with public JSON too, and leaves its caching alone', async () => {
    const response = await request(api.baseUrl, '/v1/history');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['cache-control']).toBeUndefined();
  });
});
