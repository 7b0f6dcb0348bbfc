import type { HistoryEntry } from '@msgpipe/shared';
import { ADMIN_TOKEN, asAdmin, postMessage, request } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../test/api.fixture.js';


let api: RunningApi;
beforeAll(async () => {
  api = await startApi({ ADMIN_TOKEN, RATE_LIMIT_PER_MINUTE: '0' });
});
afterAll(() => api.close());

let counter = 0;
function finished(ip: string): HistoryEntry {
  counter++;
  const now = new Date().toISOString();
  return { id: `stats-${counter}`, message: `m${counter}`, sendTime: now, status: 'completed', response: 'r', respondedAt: now };
}

async function send(ip: string, count: number) {
  for (let n = 0; n < count; n++) await api.recorder.record(ip, finished(ip));
}

const stats = (query = '') => request(api.baseUrl, `/v1/stats${query}`, { headers: asAdmin });

describe('GET /v1/stats', () => {
  it('answers exactly the documented shape, zeros on a fresh system', async () => {
    const fresh = await startApi({ ADMIN_TOKEN });
    try {
      const response = await request(fresh.baseUrl, '/v1/stats', { headers: asAdmin });
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.json()).toEqual({
        totalMessages: 0,
        messagesToday: 0,
        uniqueIpsToday: 0,
        onlineNow: 0,
        topSenders: [],
        topSendersToday: [],
        queue: { waiting: 0, active: 0, completed: 0, failed: 0, delayed: 0 },
      });
    } finally {
      await fresh.close();
    }
  });

  it('reports what the workers counted, the leaderboards sorted, and the queue depth', async () => {
    await send('192.0.2.1', 3);
    await send('192.0.2.2', 5);
    await send('2001:db8::3', 1);
    for (let n = 0; n < 4; n++) expect((await postMessage(api.baseUrl, `queued ${n}`, { localAddress: '127.0.0.81' })).status).toBe(202);

    const body = (await stats()).json();
    expect(body).toMatchObject({ totalMessages: 9, messagesToday: 9, uniqueIpsToday: 3, onlineNow: 3 });
    const expectedTop = [
      { ip: '192.0.2.2', count: 5 },
      { ip: '192.0.2.1', count: 3 },
      { ip: '2001:db8::3', count: 1 },
    ];
    expect(body.topSenders).toEqual(expectedTop);
    expect(body.topSendersToday).toEqual(expectedTop);
    // No worker runs here: the four accepted messages wait in the queue.
    expect(body.queue).toEqual({ waiting: 4, active: 0, completed: 0, failed: 0, delayed: 0 });
  });

  it('limits both leaderboards to ?top=N', async () => {
    const body = (await stats('?top=2')).json();
    expect(body.topSenders).toHaveLength(2);
    expect(body.topSendersToday).toHaveLength(2);
    expect(body.topSenders[0].count).toBeGreaterThanOrEqual(body.topSenders[1].count);
  });

  it.each(['0', '101', 'ten', '-1', '2.5', ''])('rejects top=%s with 400 invalid_query', async (top) => {
    const response = await stats(`?top=${top}`);
    expect(response.status).toBe(400);
    expect(response.json().error.code).toBe('invalid_query');
  });
});
