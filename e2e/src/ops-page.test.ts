import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_TOKEN, asAdmin, postMessage, repoRoot, request, startPipeline, testRedisUrl, waitFor, type Pipeline } from '@msgpipe/testkit';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.js';

const SCREENSHOTS = join(repoRoot, 'test-artifacts');

describe('the ops page and the queue dashboard in a real browser', () => {
  let pipeline: Pipeline;
  let baseUrl: string;
  let browser: Browser;
  let context: BrowserContext;

  const send = (count: number, ip: string) =>
    Promise.all(Array.from({ length: count }, async (_, n) => expect((await postMessage(baseUrl, `browser ${n}`, { localAddress: ip })).status).toBe(202)));
  const totalMessages = async () =>
    (await request(baseUrl, '/v1/stats', { headers: asAdmin })).json().totalMessages as number;

  beforeAll(async () => {
    pipeline = await startPipeline({ redis: testRedisUrl(), label: 'e2e-ops' });
    baseUrl = pipeline.baseUrl;
    browser = await launchChromium();
    // HTTP Basic with the token as password, as a person would type it into the browser's prompt.
    context = await browser.newContext({ httpCredentials: { username: 'ops', password: ADMIN_TOKEN }, viewport: { width: 1280, height: 1000 } });
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await pipeline?.kill();
  });

  it('shows the numbers on /admin and keeps them current without a reload', async () => {
    await send(6, '127.0.3.1');
    await send(3, '127.0.3.2');
    await waitFor('9 messages counted', async () => (await totalMessages()) === 9);

    const page = await context.newPage();
    const response = await page.goto(`${baseUrl}/admin`);
    expect(response?.status()).toBe(200);
    expect(await page.title()).toBe('msgpipe · operations');
    expect(await page.getByTestId('total-messages').textContent()).toBe('9');
    expect(await page.getByTestId('messages-today').textContent()).toBe('9');
    expect(await page.getByTestId('unique-ips-today').textContent()).toBe('2');
    expect(await page.getByTestId('online-now').textContent()).toBe('2');
    expect(await page.getByTestId('top-today').locator('tbody tr').allInnerTexts()).toEqual(['127.0.3.1\t6', '127.0.3.2\t3']);
    expect(await page.locator('svg.chart rect.bar').count()).toBe(60);

    await send(4, '127.0.3.3');
    await page.getByTestId('total-messages').filter({ hasText: /^13$/ }).waitFor();
    expect(await page.getByTestId('unique-ips-today').textContent()).toBe('3');
    await page.screenshot({ path: join(SCREENSHOTS, 'ops-page.png'), fullPage: true });
  });

  it('clicks through to the queue dashboard, which lists the queue and its jobs', async () => {
    const posted = await postMessage(baseUrl, 'find me on the dashboard', { localAddress: '127.0.3.4' });
    const id = posted.json().id as string;
    await waitFor('the message to complete', async () => {
      const message = await request(baseUrl, `/v1/messages/${id}`, { localAddress: '127.0.3.4' });
      return message.json().status === 'completed';
    });

    const page = await context.newPage();
    await page.goto(`${baseUrl}/admin`);
    await page.getByTestId('dashboard-link').click();
    await page.waitForURL(`${baseUrl}/admin/queues**`);
    await page.getByText('messages', { exact: true }).first().click();
    await page.waitForURL(`${baseUrl}/admin/queues/queue/messages**`);
    // The queue's page loads its job counts from bull-board's API, through the same Basic auth.
    await page.getByRole('link', { name: /completed/i }).first().click();
    await page.getByText(id).first().waitFor();
    await expect(page.getByText('find me on the dashboard').first().isVisible()).resolves.toBe(true);
    expect(await page.title()).toContain('msgpipe');
    await page.screenshot({ path: join(SCREENSHOTS, 'queue-dashboard.png'), fullPage: true });
  });

  it('makes a browser without the token ask for credentials (a Basic challenge it cannot answer)', async () => {
    const anonymous = await browser.newContext();
    try {
      const page = await anonymous.newPage();
      // Headless Chromium has no one to type into the prompt, so it gives up on the challenge.
      await expect(page.goto(`${baseUrl}/admin`)).rejects.toThrow(/ERR_INVALID_AUTH_CREDENTIALS/);
    } finally {
      await anonymous.close();
    }
  });
});
