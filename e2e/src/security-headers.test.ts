import { ADMIN_TOKEN, postMessage, request, startPipeline, testRedisUrl, waitFor, type Pipeline } from '@msgpipe/testkit';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.js';
import { OtherSite } from './other-site.js';

/**
 * Every Content-Security-Policy violation a page reports, as "directive blocked-URI". Browser
 * code is given as text: this package is compiled without the DOM's types.
 */
async function watchViolations(context: BrowserContext): Promise<void> {
  await context.addInitScript({
    content: `window.cspViolations = [];
      document.addEventListener('securitypolicyviolation', (event) => window.cspViolations.push(event.violatedDirective + ' ' + event.blockedURI));`,
  });
}
const violations = (page: Page) => page.evaluate<string[]>('window.cspViolations');
/** Whether the page's own stylesheet applies: it sets the body's margin to 0. */
const bodyMargin = (page: Page) => page.evaluate<string>('getComputedStyle(document.body).margin');

const FRAMED = ['/', '/admin', '/admin/queues'];

describe('the pages under their security headers, in a real browser', () => {
  let pipeline: Pipeline;
  let baseUrl: string;
  let browser: Browser;
  let admin: BrowserContext;
  let site: OtherSite;

  beforeAll(async () => {
    pipeline = await startPipeline({ redis: testRedisUrl(), label: 'e2e-headers' });
    baseUrl = pipeline.baseUrl;
    const frames = FRAMED.map((path) => `<iframe src="${baseUrl}${path}" title="${path}"></iframe>`).join('');
    site = await OtherSite.start({ '/frames': `<!doctype html><title>another site</title>${frames}` });
    browser = await launchChromium();
    admin = await browser.newContext({ httpCredentials: { username: 'ops', password: ADMIN_TOKEN } });
    await watchViolations(admin);
  });

  afterAll(async () => {
    await browser?.close();
    await site?.stop();
    await pipeline?.kill();
  });

  it('runs the chat page’s own style and script (their nonce), with no CSP violation', async () => {
    const page = await admin.newPage();
    await page.goto(baseUrl);
    await page.locator('body[data-stream="open"]').waitFor();
    expect(await bodyMargin(page)).toBe('0px');
    expect(await violations(page)).toEqual([]);
  });

  it('runs the ops page’s own style and script, which keep it current, with no CSP violation', async () => {
    const page = await admin.newPage();
    await page.goto(`${baseUrl}/admin`);
    const first = await page.getByTestId('updated-at').getAttribute('datetime');
    await page.locator(`[data-testid="updated-at"]:not([datetime="${first}"])`).waitFor();
    expect(await bodyMargin(page)).toBe('0px');
    expect(await violations(page)).toEqual([]);
  });

  it('renders the queue dashboard (bull-board), its queue page and a job, with no CSP violation', async () => {
    const id = (await postMessage(baseUrl, 'shown under the dashboard’s CSP')).json().id as string;
    await waitFor('the message to complete', async () => (await request(baseUrl, `/v1/messages/${id}`)).json().status === 'completed');

    const page = await admin.newPage();
    await page.goto(`${baseUrl}/admin/queues`);
    await page.getByText('messages', { exact: true }).first().click();
    await page.waitForURL(`${baseUrl}/admin/queues/queue/messages**`);
    await page.getByRole('link', { name: /completed/i }).first().click();
    await page.getByText(id).first().waitFor();
    await page.getByText('shown under the dashboard’s CSP').first().waitFor();
    expect(await violations(page)).toEqual([]);
  });

  it('shows none of them inside a frame of another site', async () => {
    const page = await admin.newPage();
    await page.goto(`${site.origin}/frames`);
    for (const path of FRAMED) {
      const frame = await (await page.locator(`iframe[title="${path}"]`).elementHandle())?.contentFrame();
      await frame?.waitForLoadState();
      // A frame the browser refused to fill shows its error page, not ours.
      expect(frame?.url(), path).not.toBe(`${baseUrl}${path}`);
      expect(await frame?.title(), path).not.toMatch(/msgpipe/);
    }
  });
});
