import { Retention, type HistoryEntry } from '@msgpipe/shared';
import { request } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../test/api.fixture.js';

let api: RunningApi;
beforeAll(async () => {
  api = await startApi({ HISTORY_MAX_ENTRIES: '5' });
});
afterAll(() => api.close());

// From the real clock: the recorder expires a message's counters a fixed time after it was sent.
const START = Date.now() - 60 * 60_000;

function entry(n: number): HistoryEntry {
  const time = new Date(START + n * 1000).toISOString();
  return { id: `message${String(n).padStart(15, '0')}`, message: `m${n}`, sendTime: time, status: 'completed', response: `r${n}`, respondedAt: time };
}

async function seed(ip: string, count: number) {
  for (let n = 1; n <= count; n++) await api.recorder.record(ip, entry(n));
}

const history = (localAddress: string, query = '') => request(api.baseUrl, `/v1/history${query}`, { localAddress });

describe('GET /v1/history', () => {
  it('is empty for an IP that sent nothing', async () => {
    const response = await history('127.0.0.51');
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({ ip: '127.0.0.51', messages: [] });
  });

  it('lists the caller’s own exchanges newest first, capped at HISTORY_MAX_ENTRIES', async () => {
    await seed('127.0.0.52', 7);
    await seed('127.0.0.53', 1);
    const body = (await history('127.0.0.52')).json();
    expect(body.ip).toBe('127.0.0.52');
    expect(body.messages.map((message: HistoryEntry) => message.message)).toEqual(['m7', 'm6', 'm5', 'm4', 'm3']);
    expect(body.messages[0]).toEqual(entry(7));
  });

  it('honours limit', async () => {
    await seed('127.0.0.54', 3);
    const body = (await history('127.0.0.54', '?limit=2')).json();
    expect(body.messages.map((message: HistoryEntry) => message.message)).toEqual(['m3', 'm2']);
  });

  it.each(['0', '6', 'abc', '-1', '1.5', ''])('rejects limit=%s with 400 invalid_query', async (limit) => {
    const response = await history('127.0.0.55', `?limit=${limit}`);
    expect(response.status).toBe(400);
    expect(response.json().error.code).toBe('invalid_query');
  });
});

describe('DELETE /v1/history', () => {
  it('erases the caller’s history only, with 204', async () => {
    await seed('127.0.0.56', 2);
    await seed('127.0.0.57', 2);
    const response = await request(api.baseUrl, '/v1/history', { method: 'DELETE', localAddress: '127.0.0.56' });
    expect(response.status).toBe(204);
    expect(response.text).toBe('');
    expect((await history('127.0.0.56')).json().messages).toEqual([]);
    expect((await history('127.0.0.57')).json().messages).toHaveLength(2);
    expect(await api.redis.exists(...api.keys.erasable('127.0.0.56'))).toBe(0);
  });

  it('keeps an erased message out: a job run again afterwards (redelivered, retried from the dashboard) writes nothing back and counts nothing', async () => {
    const ip = '127.0.0.58';
    const [completed, failed] = [entry(1), { ...entry(2), status: 'failed' as const, response: undefined, error: 'webhook answered HTTP 400' }];
    await api.recorder.record(ip, completed);
    await api.recorder.record(ip, failed);
    const before = await api.stats.read(100);

    expect((await request(api.baseUrl, '/v1/history', { method: 'DELETE', localAddress: ip })).status).toBe(204);
    // The worker's write of each message again, as a later run of its job makes it.
    expect(await api.recorder.record(ip, completed)).toBe(false);
    expect(await api.recorder.record(ip, failed)).toBe(false);
    // Nor does a retry that answers the failed one replace an entry that is gone.
    expect(await api.recorder.record(ip, { ...failed, status: 'completed', response: 'answered on a retry', error: undefined })).toBe(false);

    expect((await history(ip)).json().messages).toEqual([]);
    const after = await api.stats.read(100);
    expect(after.totalMessages).toBe(before.totalMessages);
    expect(after.topSenders.map((sender) => sender.ip)).not.toContain(ip);
    // What stays of the IP is the guard: message ids and write times, no text of any message.
    const left = await api.redis.keys(`${api.config.redis.prefix}:ip:{${ip}}:*`);
    expect(left.sort()).toEqual([api.keys.written(ip), api.keys.failedIds(ip)].sort());
    expect((await api.redis.zrange(api.keys.written(ip), 0, -1)).sort()).toEqual([completed.id, failed.id].sort());
    expect(await api.redis.zrange(api.keys.failedIds(ip), 0, -1)).toEqual([failed.id]);
    // It outlives every job that can still run: BullMQ keeps failed jobs, retryable from the dashboard, 7 days.
    for (const key of left) expect(await api.redis.ttl(key)).toBeGreaterThanOrEqual(Retention.failedJobSeconds);
  });
});
