import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRedis, KeySchema, loadConfig, openMessageQueue, type RedisClient } from '@msgpipe/shared';
import {
  ADMIN_TOKEN,
  asAdmin,
  parsePrometheusText,
  postMessage,
  repoRoot,
  request,
  samplesOf,
  startPipeline,
  Timeouts,
  testRedisUrl,
  waitFor,
  type Pipeline,
} from '@msgpipe/testkit';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.js';
import { ipsOn, POLL_MS, seconds, seedPastTraffic, setVisibility } from './ops-page.fixture.js';
import { ScriptedUpstream } from './scripted-upstream.js';

const SCREENSHOTS = join(repoRoot, 'test-artifacts');

const WORKERS = 3;
/** Jobs each worker process takes at once per partition: WORKER_CONCURRENCY. */
const CONCURRENCY = 2;
const PARTITIONS = 2;

describe('the ops page and the queue dashboard in a real browser', () => {
  let upstream: ScriptedUpstream;
  let pipeline: Pipeline;
  let baseUrl: string;
  let browser: Browser;
  let context: BrowserContext;
  let redis: RedisClient;

  const send = (count: number, ip: string) =>
    Promise.all(Array.from({ length: count }, async (_, n) => expect((await postMessage(baseUrl, `browser ${n}`, { localAddress: ip })).status).toBe(202)));
  const totalMessages = async () =>
    (await request(baseUrl, '/v1/stats', { headers: asAdmin })).json().totalMessages as number;

  beforeAll(async () => {
    // A webhook upstream that holds `hold …` messages, so workers have messages in flight.
    upstream = await ScriptedUpstream.start();
    pipeline = await startPipeline({
      redis: testRedisUrl(),
      label: 'e2e-ops',
      workers: WORKERS,
      env: { ...upstream.responderEnv, RESPONSE_CACHE_TTL_SECONDS: '0', WORKER_CONCURRENCY: String(CONCURRENCY), QUEUE_PARTITIONS: String(PARTITIONS) },
    });
    baseUrl = pipeline.baseUrl;
    redis = createRedis(loadConfig({ REDIS_URL: testRedisUrl(), REDIS_PREFIX: pipeline.prefix }).redis, 'producer', 'e2e-ops');
    browser = await launchChromium();
    // HTTP Basic with the token as password, as a person would type it into the browser's prompt.
    context = await browser.newContext({ httpCredentials: { username: 'ops', password: ADMIN_TOKEN }, viewport: { width: 1280, height: 1000 } });
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await pipeline?.kill();
    await upstream?.close();
    redis?.disconnect();
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
    expect(await page.getByTestId('per-minute-chart').locator('rect.bar').count()).toBe(60);
    expect(await page.getByTestId('per-day-chart').locator('rect.bar').count()).toBe(30);

    await send(4, '127.0.3.3');
    await page.getByTestId('total-messages').filter({ hasText: /^13$/ }).waitFor();
    expect(await page.getByTestId('unique-ips-today').textContent()).toBe('3');
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

  it('shows queue latency growing, live workers with messages in flight, a paused partition and a month per day', async () => {
    const keys = new KeySchema(pipeline.prefix);
    const days = await seedPastTraffic(redis, keys, Date.now());

    // Partition 1 paused: its messages wait. Partition 0: every worker takes CONCURRENCY
    // messages the upstream holds, and the rest wait behind them. One message per request,
    // one after another: each goes as a job of its own.
    const paused = openMessageQueue(redis, pipeline.prefix, 1);
    await paused.pause();
    const held = WORKERS * CONCURRENCY;
    const onPartition0 = ipsOn(0, PARTITIONS, 4);
    for (let n = 0; n < held + 4; n++) expect((await postMessage(baseUrl, `hold ${n}`, { localAddress: onPartition0[n % 4]! })).status).toBe(202);
    for (const [n, ip] of ipsOn(1, PARTITIONS, 3).entries()) expect((await postMessage(baseUrl, `waits ${n}`, { localAddress: ip })).status).toBe(202);
    await waitFor('the upstream to hold a message per worker slot', () => upstream.held().length === held);

    const page = await context.newPage();
    await page.goto(`${baseUrl}/admin`);
    await page.getByTestId('in-flight').filter({ hasText: new RegExp(`^${held}$`) }).waitFor(); // after each worker's next count
    expect(await page.getByTestId('worker-count').textContent()).toBe(String(WORKERS));
    expect(await page.getByTestId('queue-waiting').textContent()).toBe('7');
    expect(await page.getByTestId('paused').textContent()).toBe('paused');
    expect(await page.getByText('paused: messages-1').count()).toBe(1);
    const rows = await page.getByTestId('workers').locator('tbody tr').allInnerTexts();
    const pids = pipeline.workers.map((worker) => String(worker.pid)).sort();
    expect(rows.map((row) => /^\S+:(\d+)\t/.exec(row)?.[1]).sort()).toEqual(pids);
    for (const row of rows) expect(row).toMatch(new RegExp(`^\\S+:\\d+\\t127\\.0\\.0\\.1:\\d+\\tmessages, messages-1\\t\\d\\d:\\d\\d:\\d\\d UTC .*\\t${CONCURRENCY}$`));
    const partitions = await page.getByTestId('partitions').locator('tbody tr').allInnerTexts();
    expect(partitions.map((row) => row.split('\t').slice(0, 5))).toEqual([
      ['messages', 'running', '4', String(held), '0'],
      ['messages-1', 'paused', '3', '0', '0'],
    ]);
    const perDay = page.getByTestId('per-day-chart').locator('rect.bar');
    expect(await perDay.count()).toBe(30);
    expect(await perDay.nth(28).locator('title').textContent()).toBe(`${days[28]}: ${await redis.get(keys.messagesIn(days[28]!))} messages`);

    // Queue latency: above 0 and growing while the messages wait, on the page and in /metrics.
    const first = seconds(await page.getByTestId('queue-latency').textContent());
    await waitFor('the latency tile to grow', async () => seconds(await page.getByTestId('queue-latency').textContent()) > first);
    const gauge = async (queue: string) =>
      samplesOf(parsePrometheusText((await request(baseUrl, '/metrics', { headers: asAdmin })).text), 'msgpipe_queue_oldest_waiting_seconds', { queue })[0]!.value;
    for (const queue of ['messages', 'messages-1']) {
      const before = await gauge(queue);
      expect(before, queue).toBeGreaterThan(0);
      await waitFor(`the ${queue} gauge to grow`, async () => (await gauge(queue)) > before);
    }
    await page.screenshot({ path: join(SCREENSHOTS, 'ops-page.png'), fullPage: true });

    // Search: a waiting message by id, then its sender's history.
    const waiting = await postMessage(baseUrl, 'hold <b>find me</b>', { localAddress: onPartition0[0]! });
    const id = waiting.json().id as string;
    await page.getByTestId('search-input').fill(id);
    await page.getByTestId('search-button').click();
    await page.getByTestId('search-message').filter({ hasText: 'hold <b>find me</b>' }).waitFor();
    expect(await page.getByTestId('search-ip').textContent()).toBe(onPartition0[0]);
    await page.getByTestId('search-input').fill('not an address');
    await page.getByTestId('search-button').click();
    await page.getByTestId('search-note').filter({ hasText: 'neither a message id' }).waitFor();

    // Let everything go, so the next test starts from an idle pipeline.
    await paused.resume();
    await paused.close();
    upstream.release();
    await page.getByTestId('queue-waiting').filter({ hasText: /^0$/ }).waitFor({ timeout: Timeouts.drain });
    await page.getByTestId('search-input').fill(onPartition0[0]!);
    await page.getByTestId('search-button').click();
    await page.getByTestId('search-history').waitFor();
  });

  it('polls /admin/live only while the tab is visible, and at once when it shows again', async () => {
    const page = await context.newPage();
    // The page's timers run on a clock the test moves, so "ticks" are counted, not waited for.
    await page.clock.install();
    const polls: string[] = [];
    page.on('request', (sent) => {
      if (new URL(sent.url()).pathname === '/admin/live') polls.push(sent.url());
    });
    await page.goto(`${baseUrl}/admin`);
    const ticks = async (count: number) => page.clock.runFor(count * POLL_MS);
    /** Every request the page started by now has been seen: a round trip of the page's own after them. */
    const settled = () => page.evaluate(async () => void (await fetch('/healthz')));

    await ticks(3);
    await waitFor('three polls', () => polls.length === 3);
    await setVisibility(page, 'hidden');
    await ticks(5);
    await settled();
    expect(polls).toHaveLength(3);
    await page.locator('#status').filter({ hasText: '● paused while hidden' }).waitFor();

    await setVisibility(page, 'visible');
    await waitFor('the refresh on showing again', () => polls.length === 4);
    await ticks(2);
    await waitFor('polling again', () => polls.length === 6);
    await settled();
    expect(polls).toHaveLength(6);
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
