import { RedisServer } from '@msgpipe/redis-server';
import type { HistoryEntry } from '@msgpipe/shared';
import { openEventStream, postMessage, type EventStream } from '@msgpipe/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../test/api.fixture.js';
import { startEchoWorker } from '../test/echo-worker.fixture.js';

let api: RunningApi;
let worker: { close(): Promise<void> };
beforeAll(async () => {
  api = await startApi({ RATE_LIMIT_PER_MINUTE: '0' });
  worker = await startEchoWorker(api);
});
afterAll(async () => {
  await worker.close();
  await api.close();
});

const opened: EventStream[] = [];
async function stream(localAddress: string, lastEventId?: string): Promise<EventStream> {
  const events = await openEventStream(api.baseUrl, '/v1/stream', {
    localAddress,
    ...(lastEventId && { headers: { 'last-event-id': lastEventId } }),
  });
  opened.push(events);
  return events;
}
afterEach(() => {
  for (const events of opened.splice(0)) events.close();
});

async function send(localAddress: string, message: string): Promise<string> {
  const response = await postMessage(api.baseUrl, message, { localAddress });
  expect(response.status).toBe(202);
  return response.json().id;
}

/** Sends and waits until the message is answered (seen on a stream of the same IP). */
async function sendAndFinish(localAddress: string, message: string): Promise<string> {
  const watcher = await stream(localAddress);
  const id = await send(localAddress, message);
  await watcher.take(1);
  watcher.close();
  return id;
}

describe('GET /v1/stream', () => {
  it('streams the caller’s own messages as they finish, in the GET shape, and nobody else’s', async () => {
    const mine = await stream('127.0.0.131');
    const theirs = await stream('127.0.0.132');
    expect(mine.status).toBe(200);
    expect(mine.headers['content-type']).toMatch(/^text\/event-stream/);

    const first = await send('127.0.0.131', 'one');
    const other = await send('127.0.0.132', 'not yours');
    const second = await send('127.0.0.131', 'two');

    const events = await mine.take(2);
    expect(events.map((event) => event.event)).toEqual(['message', 'message']);
    expect(events.map((event) => event.id).sort()).toEqual([first, second].sort());
    const one = events.map((event) => JSON.parse(event.data)).find((data) => data.id === first);
    expect(one).toEqual({
      id: first,
      status: 'completed',
      message: 'one',
      ip: '127.0.0.131',
      sendTime: expect.any(String),
      response: 'echo: one',
      respondedAt: expect.any(String),
    });
    const [theirEvent] = await theirs.take(1);
    expect(theirEvent?.id).toBe(other);
    // The stranger's message never reached this stream.
    expect(mine.events.map((event) => event.id)).not.toContain(other);
    expect(mine.events).toHaveLength(2);
  });

  it('streams failed messages too, with their error', async () => {
    const mine = await stream('127.0.0.133');
    const id = await send('127.0.0.133', 'fail this one');
    const [event] = await mine.take(1);
    expect(event?.id).toBe(id);
    expect(JSON.parse(event!.data)).toMatchObject({ status: 'failed', error: 'told to fail' });
  });

  it('fans one IP’s messages out to every stream that IP has open', async () => {
    const tabs = [await stream('127.0.0.134'), await stream('127.0.0.134'), await stream('127.0.0.134')];
    const id = await send('127.0.0.134', 'to every tab');
    for (const tab of tabs) expect((await tab.take(1))[0]?.id).toBe(id);
  });

  it('resumes from Last-Event-ID: what finished while away comes first, oldest first, then live ones', async () => {
    const seen = await sendAndFinish('127.0.0.135', 'seen');
    const missedOne = await sendAndFinish('127.0.0.135', 'missed one');
    const missedTwo = await sendAndFinish('127.0.0.135', 'missed two');

    const resumed = await stream('127.0.0.135', seen);
    const replayed = await resumed.take(2);
    expect(replayed.map((event) => event.id)).toEqual([missedOne, missedTwo]);
    const live = await send('127.0.0.135', 'live');
    expect((await resumed.take(3))[2]?.id).toBe(live);
    expect(resumed.events.map((event) => event.id)).not.toContain(seen);
  });


  it('sends a message again when a retry answered it after it failed, and a client that reconnects gets the answer', async () => {
    const ip = '127.0.0.136';
    const open = await stream(ip);
    const time = new Date().toISOString();
    const failed: HistoryEntry = { id: 'RetriedAfterFailure001', message: 'retried', sendTime: time, status: 'failed', error: 'the responder refused the message', respondedAt: time };
    const later: HistoryEntry = { id: 'AnsweredMeanwhile00001', message: 'later', sendTime: time, status: 'completed', response: 'ok', respondedAt: time };
    // The worker's writes: the failure, another message, then the answer of a dashboard retry.
    await api.recorder.record(ip, failed);
    await api.recorder.record(ip, later);
    await api.recorder.record(ip, { ...failed, status: 'completed', error: undefined, response: 'answered on the retry' });

    const events = await open.take(3);
    expect(events.map((event) => [event.id, JSON.parse(event.data).status])).toEqual([
      [failed.id, 'failed'],
      [later.id, 'completed'],
      [failed.id, 'completed'],
    ]);
    expect(JSON.parse(events[2]!.data)).toMatchObject({ response: 'answered on the retry' });
    expect(JSON.parse(events[2]!.data)).not.toHaveProperty('error');
    // Away since the later message: the answer came after it, so it is what was missed.
    const resumed = await stream(ip, later.id);
    const [missed] = await resumed.take(1);
    expect([missed?.id, JSON.parse(missed!.data).status]).toEqual([failed.id, 'completed']);
  });
});

/** Resuming, on a Redis of its own so its command counts are this test's alone. */
describe('GET /v1/stream with a Last-Event-ID', () => {
  let redis: RedisServer;
  let small: RunningApi;
  beforeAll(async () => {
    redis = await RedisServer.start();
    small = await startApi({ RATE_LIMIT_PER_MINUTE: '0', HISTORY_MAX_ENTRIES: '2' }, redis.url);
  });
  afterAll(async () => {
    await small.close();
    await redis.stop();
  });

  let sent = 0;
  /** Records a finished message as a worker would: in the history, and published to open streams. */
  async function finish(ip: string): Promise<string> {
    const id = `resume-test-message-${String(sent++).padStart(2, '0')}`;
    const now = new Date().toISOString();
    await small.recorder.record(ip, { id, message: id, sendTime: now, status: 'completed', response: 'ok', respondedAt: now });
    return id;
  }
  const resume = async (ip: string, lastEventId: string) => {
    const events = await openEventStream(small.baseUrl, '/v1/stream', { localAddress: ip, headers: { 'last-event-id': lastEventId } });
    opened.push(events);
    return events;
  };
  const historyReads = async () => Number(/cmdstat_lrange:calls=(\d+)/.exec(await small.redis.info('commandstats'))?.[1] ?? 0);

  it('replays the whole history for an id that has left it', async () => {
    const ip = '127.0.0.137';
    const trimmed = await finish(ip);
    const kept = [await finish(ip), await finish(ip)];
    const resumed = await resume(ip, trimmed);
    expect((await resumed.take(2)).map((event) => event.id)).toEqual(kept);
  });

  it('replays nothing for an id that was never this address’s, and reads no history for it', async () => {
    const ip = '127.0.0.138';
    await finish(ip);
    await finish(ip);
    const stranger = await finish('127.0.0.139');
    const before = await historyReads();
    const unknown = [await resume(ip, 'AAAAAAAAAAAAAAAAAAAAAA'), await resume(ip, stranger), await resume(ip, 'x'.repeat(4000))];
    expect(unknown.map((events) => events.status)).toEqual([200, 200, 200]);
    expect(await historyReads()).toBe(before);

    const live = await finish(ip);
    for (const events of unknown) expect((await events.take(1)).map((event) => event.id)).toEqual([live]);
  });
});
