import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, startPipeline, testRedisUrl, type Pipeline } from '@msgpipe/testkit';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.js';

const SCREENSHOTS = join(repoRoot, 'test-artifacts');

describe('the API reference (/docs) in a real browser', () => {
  let pipeline: Pipeline;
  let browser: Browser;

  beforeAll(async () => {
    pipeline = await startPipeline({ redis: testRedisUrl(), label: 'e2e-docs' });
    browser = await launchChromium();
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await pipeline?.kill();
  });

  it('renders every operation of /openapi.json from the API’s own files, under the page CSP', async () => {
    const page = await browser.newPage();
    const origin = new URL(pipeline.baseUrl).origin;
    const requested: string[] = [];
    const problems: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    page.on('pageerror', (error) => problems.push(error.message));

    const response = await page.goto(`${pipeline.baseUrl}/docs`);
    expect(response?.headers()['content-security-policy']).toMatch(/script-src 'self' 'nonce-[^']+'/);
    const document = (await (await fetch(`${pipeline.baseUrl}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method, path })));
    await page.locator('.opblock').nth(operations.length - 1).waitFor();

    expect(await page.locator('.opblock').count()).toBe(operations.length);
    for (const { method, path } of operations) {
      const block = page.locator(`.opblock-${method}`).filter({ has: page.locator(`[data-path="${path}"]`) });
      expect(await block.count(), `${method} ${path}`).toBe(1);
    }
    expect(await page.locator('.info .title').textContent()).toMatch(/^msgpipe/);

    // Opened, an operation shows its parameters, body and every documented answer.
    const submit = page.locator('.opblock-post').filter({ has: page.locator('[data-path="/v1/messages"]') });
    await submit.locator('.opblock-summary').click();
    await submit.locator('.response[data-code="429"]').waitFor();
    expect(await submit.locator('.parameters-col_name').allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/^wait/), expect.stringMatching(/^Idempotency-Key/)]));
    const documented = Object.keys((document.paths['/v1/messages']!.post as { responses: object }).responses);
    expect(await submit.locator('.responses-table .response').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-code')))).toEqual(documented);
    await page.screenshot({ path: join(SCREENSHOTS, 'docs-page.png'), fullPage: false });

    expect(requested.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith('data:'))).toEqual([]);
    expect(problems).toEqual([]);
  });
});
