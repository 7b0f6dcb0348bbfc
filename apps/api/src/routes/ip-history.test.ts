import { createRedis, queueName, queuePrefix, type HistoryEntry, type MessageJob } from '@msgpipe/shared';
import { Worker } from 'bullmq';
import { ADMIN_TOKEN, asAdmin, postMessage, request } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../test/api.fixture.js';


let api: RunningApi;
beforeAll(async () => {
  api = await startApi({ ADMIN_TOKEN, HISTORY_MAX_ENTRIES: '5' });
});
afterAll(() => api.close());

let counter = 0;
function finished(): HistoryEntry {
  counter++;
  const now = new Date().toISOString();
  return { id: `iphist${String(counter).padStart(16, '0')}`, message: `m${counter}`, sendTime: now, status: 'completed', response: `r${counter}`, respondedAt: now };
}

async function send(ip: string, count: number): Promise<HistoryEntry[]> {
  const entries: HistoryEntry[] = [];
  for (let n = 0; n < count; n++) {
    const entry = finished();
    await api.recorder.record(ip, entry);
    entries.push(entry);
  }
  return entries;
}

const ipHistory = (ip: string, query = '', method = 'GET') =>
  request(api.baseUrl, `/v1/ips/${ip}/history${query}`, { method, headers: asAdmin });

describe('GET /v1/ips/{ip}/history (admin)', () => {
  it('lists any IP’s history newest first, in the shape of /v1/history', async () => {
    const entries = await send('192.0.2.31', 3);
    const response = await ipHistory('192.0.2.31', '?limit=2');
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({ ip: '192.0.2.31', messages: [entries[2], entries[1]] });
  });

  it.each([
    ['RFC 5952 form', '2001:db8::31'],
    ['long form', '2001:0db8:0000:0000:0000:0000:0000:0031'],
    ['the "-" form of key names', '2001-db8--31'],
  ])('finds an IPv6 address written in %s', async (_, written) => {
    if (written === '2001:db8::31') await send('2001:db8::31', 1);
    const response = await ipHistory(written);
    expect(response.status).toBe(200);
    expect(response.json().ip).toBe('2001:db8::31');
    expect(response.json().messages).toHaveLength(1);
  });

  it.each(['not-an-ip', '1.2.3', '999.1.1.1', '1.2.3.4.5'])('rejects %s with 400 invalid_ip', async (ip) => {
    const response = await ipHistory(ip);
    expect(response.status).toBe(400);
    expect(response.json().error.code).toBe('invalid_ip');
  });

  it('rejects a bad limit with 400 invalid_query', async () => {
    expect((await ipHistory('192.0.2.31', '?limit=6')).json().error.code).toBe('invalid_query');
  });
});

describe('erasing an IP', () => {
  it('DELETE /v1/ips/{ip}/history removes its history, leaderboard places and online mark, no one else’s', async () => {
    await send('192.0.2.41', 3);
    await send('192.0.2.42', 1);
    const response = await ipHistory('192.0.2.41', '', 'DELETE');
    expect(response.status).toBe(204);

    expect((await ipHistory('192.0.2.41')).json().messages).toEqual([]);
    expect(await api.redis.exists(...api.keys.erasable('192.0.2.41'))).toBe(0);
    const stats = await api.stats.read(100);
    expect(stats.topSenders.map((sender) => sender.ip)).not.toContain('192.0.2.41');
    expect(stats.topSendersToday.map((sender) => sender.ip)).not.toContain('192.0.2.41');
    expect(await api.redis.zscore(api.keys.online(), '192.0.2.41')).toBeNull();
    expect(stats.topSenders).toContainEqual({ ip: '192.0.2.42', count: 1 });
  });

  it('DELETE /v1/history does the same for the caller’s own IP', async () => {
    await send('127.0.0.91', 2);
    const response = await request(api.baseUrl, '/v1/history', { method: 'DELETE', localAddress: '127.0.0.91' });
    expect(response.status).toBe(204);
    const stats = await api.stats.read(100);
    expect(stats.topSenders.map((sender) => sender.ip)).not.toContain('127.0.0.91');
    expect(await api.redis.zscore(api.keys.online(), '127.0.0.91')).toBeNull();
  });
});

describe('GET /v1/messages/{id} as admin', () => {
  it('reads a message sent from any IP, queued or finished', async () => {
    const accepted = (await postMessage(api.baseUrl, 'hello admin', { localAddress: '127.0.0.92' })).json();
    const asStranger = await request(api.baseUrl, `/v1/messages/${accepted.id}`, { localAddress: '127.0.0.93' });
    expect(asStranger.status).toBe(404);

    const queued = await request(api.baseUrl, `/v1/messages/${accepted.id}`, { localAddress: '127.0.0.93', headers: asAdmin });
    expect(queued.status).toBe(200);
    expect(queued.json()).toMatchObject({ id: accepted.id, status: 'queued', ip: '127.0.0.92', message: 'hello admin' });

    // Finish it as a worker would; the admin now reads it from the sender's history.
    const connection = createRedis(api.config.redis, 'worker', 'manual-worker');
    const worker = new Worker<MessageJob>(queueName(0), undefined, { connection, prefix: queuePrefix(api.config.redis.prefix, 0), autorun: false });
    try {
      const job = (await worker.getNextJob('manual'))!;
      expect(job.id).toBe(accepted.id);
      const entry: HistoryEntry = { ...job.data, status: 'completed', response: 'hi', respondedAt: new Date().toISOString() };
      delete (entry as Partial<MessageJob>).ip;
      await api.recorder.record(job.data.ip, entry);
      await job.moveToCompleted(entry, 'manual', false);
    } finally {
      await worker.close();
      connection.disconnect();
    }
    const done = await request(api.baseUrl, `/v1/messages/${accepted.id}`, { headers: asAdmin });
    expect(done.status).toBe(200);
    expect(done.json()).toMatchObject({ id: accepted.id, status: 'completed', ip: '127.0.0.92', response: 'hi' });
  });

  it('still answers 404 for an unknown id', async () => {
    const response = await request(api.baseUrl, '/v1/messages/AAAAAAAAAAAAAAAAAAAAAA', { headers: asAdmin });
    expect(response.status).toBe(404);
  });
});
