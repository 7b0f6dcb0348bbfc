import { request, startPipeline, testRedisUrl, type Pipeline } from '@msgpipe/testkit';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.js';
import { OtherSite } from './other-site.js';

/** A hostile page that makes its visitors' browsers post a message (a form: no preflight). */
function hostilePages(apiUrl: string): Record<string, string> {
  return {
    '/form': `<!doctype html><form method="POST" action="${apiUrl}/v1/messages"><input type="hidden" name="message" value="forged by another site"></form><script>document.forms[0].submit()</script>`,
  };
}

/** From the page's origin: whether an EventSource on the API's stream opens. */
function streamOpens(page: Page, apiUrl: string): Promise<'open' | 'error'> {
  return page.evaluate(
    (url) =>
      new Promise<'open' | 'error'>((resolve) => {
        const events = new EventSource(`${url}/v1/stream`);
        events.onopen = () => (events.close(), resolve('open'));
        events.onerror = () => (events.close(), resolve('error'));
      }),
    apiUrl,
  );
}

describe('pages of other sites, in a real browser', () => {
  let pipeline: Pipeline;
  let browser: Browser;
  const hostile: Record<string, string> = {};
  let hostileSite: OtherSite;
  let listedSite: OtherSite;

  beforeAll(async () => {
    // Both on 127.0.0.2, on ports of their own: two origins, each cross-site to the API on 127.0.0.1.
    hostileSite = await OtherSite.start(hostile);
    listedSite = await OtherSite.start({ '/': '<!doctype html><title>a listed site</title>' });
    pipeline = await startPipeline({ redis: testRedisUrl(), label: 'e2e-public-cross-site', env: { CORS_ORIGINS: listedSite.origin } });
    Object.assign(hostile, hostilePages(pipeline.baseUrl));
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await hostileSite?.stop();
    await listedSite?.stop();
    await pipeline?.kill();
  });

  const myMessages = async () => (await request(pipeline.baseUrl, '/v1/history')).json().messages.map((entry: { message: string }) => entry.message);

  it('refuses the form a hostile page submits: 403, nothing in the visitor’s history', async () => {
    const page = await browser.newPage();
    const answered = page.waitForResponse((response) => response.url() === `${pipeline.baseUrl}/v1/messages`);
    await page.goto(`${hostileSite.origin}/form`);
    const response = await answered;
    expect((await response.request().allHeaders()).origin).toBe(hostileSite.origin);
    expect(response.status()).toBe(403);
    expect(await myMessages()).not.toContain('forged by another site');
  });

  it('lets a listed site post (JSON with an Idempotency-Key: a preflight first), read the answer and stream', async () => {
    const page = await browser.newPage();
    await page.goto(`${listedSite.origin}/`);
    const answer = await page.evaluate(async (url) => {
      const response = await fetch(`${url}/v1/messages?wait=10000`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'listed-site-1' },
        body: JSON.stringify({ message: 'hello from a listed site' }),
      });
      return { status: response.status, location: response.headers.get('location'), body: (await response.json()) as { id: string } };
    }, pipeline.baseUrl);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'completed', message: 'hello from a listed site', response: 'Hello, user from 127.0.0.1!' });
    expect(answer.location).toBe(`/v1/messages/${answer.body.id}`);
    expect(await myMessages()).toContain('hello from a listed site');
    expect(await streamOpens(page, pipeline.baseUrl)).toBe('open');
  });
});
