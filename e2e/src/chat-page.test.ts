import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, startPipeline, testRedisUrl, type Pipeline } from '@msgpipe/testkit';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.js';

const SCREENSHOTS = join(repoRoot, 'test-artifacts');

describe('the chat page in a real browser', () => {
  let pipeline: Pipeline;
  let baseUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    pipeline = await startPipeline({ redis: testRedisUrl(), label: 'e2e-chat', env: { RATE_LIMIT_PER_MINUTE: '0' } });
    baseUrl = pipeline.baseUrl;
    browser = await launchChromium();
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await pipeline?.kill();
  });

  async function say(page: Page, text: string) {
    await page.getByLabel('Message').fill(text);
    await page.getByRole('button', { name: 'Send' }).click();
  }

  it('sends a message and shows the answer as it arrives, without a reload', async () => {
    const page = await browser.newPage();
    await page.goto(baseUrl);
    await page.locator('body[data-stream="open"]').waitFor();
    expect(await page.locator('#who').textContent()).toBe('you are 127.0.0.1');

    await say(page, 'hello there');
    const exchange = page.locator('.exchange').filter({ hasText: 'hello there' });
    await exchange.locator('.reply').filter({ hasText: 'Hello, user from 127.0.0.1!' }).waitFor();
    await say(page, 'thanks');
    await page.locator('.reply').filter({ hasText: "You're welcome, user from 127.0.0.1!" }).waitFor();
    expect(await page.getByLabel('Message').inputValue()).toBe('');
    expect(await page.locator('.exchange').count()).toBe(2);
    await page.screenshot({ path: join(SCREENSHOTS, 'chat-page.png') });
  });

  it('shows the history on the next visit, oldest first, and shows markup in a message as text', async () => {
    const page = await browser.newPage();
    await page.goto(baseUrl);
    await page.locator('.exchange').nth(1).waitFor();
    expect(await page.locator('.bubble.mine').allTextContents()).toEqual(['hello there', 'thanks']);

    await say(page, '<img src=x onerror="document.title=1">');
    await page.locator('.reply').filter({ hasText: '<img src=x' }).waitFor();
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.title()).toBe('msgpipe · chat');
  });

  it('lets the API stop on SIGTERM while a browser holds a stream open', async () => {
    const page = await browser.newPage();
    await page.goto(baseUrl);
    await page.locator('body[data-stream="open"]').waitFor();
    expect(await pipeline.api.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });
});
