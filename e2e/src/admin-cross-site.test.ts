import { ADMIN_TOKEN, asAdmin, request, startPipeline, testRedisUrl, type Pipeline } from '@msgpipe/testkit';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.js';
import { OtherSite } from './other-site.js';

const ADD_JOB = '/admin/queues/api/queues/messages/add';
const FORGED = { name: 'forged', data: { id: 'forged-id', ip: '203.0.113.66', message: 'from another site', sendTime: '2026-01-01T00:00:00.000Z' }, options: {} };

/**
 * Two ways a page makes a browser POST without a CORS preflight: a `text/plain` form, which
 * Chromium sends with the Basic credentials it holds for the API (without the guard: 200, a
 * job added), and a `text/plain` fetch (Chromium withholds the credentials there, and, the
 * answer being `Cross-Origin-Resource-Policy: same-origin`, the answer from the page too).
 */
function attackPages(apiUrl: string): Record<string, string> {
  const target = JSON.stringify(`${apiUrl}${ADD_JOB}`);
  const body = JSON.stringify(JSON.stringify(FORGED));
  // A text/plain form sends `name=value`: a name ending in a JSON string's opening quote and a
  // value closing it make the body one JSON document.
  const [head, tail] = [JSON.stringify(FORGED).slice(0, -2) + ',"pad":"', '"}'];
  return {
    '/fetch': `<!doctype html><script>fetch(${target}, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: ${body} });</script>`,
    '/form': `<!doctype html><form method="POST" enctype="text/plain" action=${target}><input type="hidden" name='${head}' value='${tail}'></form><script>document.forms[0].submit()</script>`,
  };
}

describe('a page on another site, opened by an admin whose browser holds the dashboard credentials', () => {
  let pipeline: Pipeline;
  let browser: Browser;
  let admin: BrowserContext;
  let site: OtherSite;

  const waitingJobs = async () => (await request(pipeline.baseUrl, '/v1/stats', { headers: asAdmin })).json().queue.waiting as number;

  beforeAll(async () => {
    // No worker: a forged job would wait in the queue, where the test counts it.
    pipeline = await startPipeline({ redis: testRedisUrl(), workers: 0, label: 'e2e-cross-site' });
    site = await OtherSite.start(attackPages(pipeline.baseUrl));
    browser = await launchChromium();
    // HTTP Basic with the token as password: what the browser sends for this origin once the admin has logged in.
    admin = await browser.newContext({ httpCredentials: { username: 'ops', password: ADMIN_TOKEN } });
  });

  afterAll(async () => {
    await browser?.close();
    await site?.stop();
    await pipeline?.kill();
  });

  /** Opens the attack page in the admin's browser, next to the dashboard; resolves with the forged request once the API answered it. */
  async function attack(path: string) {
    const dashboard = await admin.newPage();
    expect((await dashboard.goto(`${pipeline.baseUrl}/admin/queues`))?.status()).toBe(200);
    const attacker = await admin.newPage();
    const sent = attacker.waitForRequest((request) => request.url().endsWith(ADD_JOB));
    await attacker.goto(`${site.origin}${path}`);
    const forged = await sent;
    expect((await forged.allHeaders()).origin).toBe(site.origin);
    return { forged, response: await forged.response() };
  }

  it('cannot add a job through bull-board with a text/plain form: 403, and the queue stays empty', async () => {
    const { response } = await attack('/form');
    expect(response?.status()).toBe(403);
    expect(await waitingJobs()).toBe(0);
  });

  it('cannot add a job through bull-board with a text/plain fetch either', async () => {
    const { forged } = await attack('/fetch');
    expect(forged.failure()?.errorText).toMatch(/ERR_BLOCKED_BY_RESPONSE/); // answered, and not shown to the page
    expect(await waitingJobs()).toBe(0);
  });

  it('still lets the dashboard itself change things (same origin)', async () => {
    const dashboard = await admin.newPage();
    await dashboard.goto(`${pipeline.baseUrl}/admin/queues`);
    const status = await dashboard.evaluate(async (body) => {
      const response = await fetch('api/queues/messages/add', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      return response.status;
    }, JSON.stringify({ ...FORGED, name: 'from the dashboard' }));
    expect(status).toBe(200);
    expect(await waitingJobs()).toBe(1);
  });
});
