import { openEventStream, postMessage, type EventStream } from '@msgpipe/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../api.fixture.js';
import { startEchoWorker } from '../echo-worker.fixture.js';

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

  it('replays the whole history for a Last-Event-ID it no longer has', async () => {
    const a = await sendAndFinish('127.0.0.136', 'a');
    const b = await sendAndFinish('127.0.0.136', 'b');
    const resumed = await stream('127.0.0.136', 'AAAAAAAAAAAAAAAAAAAAAA');
    expect((await resumed.take(2)).map((event) => event.id)).toEqual([a, b]);
  });
});
