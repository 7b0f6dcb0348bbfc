import { postMessage, request, startPipeline, testRedisUrl, Timeouts, waitFor, type Pipeline } from '@msgpipe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver, type ReceivedSpan } from './otlp-receiver.js';

/** OTLP span kinds (the enum of the protocol, 1-based). */
const SERVER = 2;
const PRODUCER = 4;
const CONSUMER = 5;

/** The pipeline's JSON log lines, from one process's output. */
const logLinesOf = (output: string) =>
  output.split('\n').flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });

/** One message's spans, found by its request id, once the worker's have arrived too. */
async function traceOfRequest(receiver: OtlpReceiver, requestId: string): Promise<ReceivedSpan[]> {
  return waitFor(
    () => `the spans of request ${requestId}; received so far: ${receiver.spans.map((span) => `${span.service}/${span.name}`).join(', ')}; refused: ${receiver.refused.join('; ')}`,
    () => {
      const root = receiver.spans.find((span) => span.kind === SERVER && span.attributes['msgpipe.request_id'] === requestId);
      const spans = root ? receiver.trace(root.traceId) : [];
      return ['POST /v1/messages', 'enqueue message', 'process message', 'respond', 'record'].every((name) => spans.some((span) => span.name === name)) && spans;
    },
  );
}

const only = (spans: ReceivedSpan[], name: string) => {
  const named = spans.filter((span) => span.name === name);
  expect(named, name).toHaveLength(1);
  return named[0]!;
};

describe('tracing and request ids across the built API and worker', () => {
  let receiver: OtlpReceiver;
  let pipeline: Pipeline;

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    pipeline = await startPipeline({
      redis: testRedisUrl(),
      label: 'tracing',
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '50',
        // The worker's line per message answered is at debug.
        LOG_LEVEL: 'debug',
      },
    });
  });

  afterAll(async () => {
    await pipeline?.kill();
    await receiver?.close();
  });

  it('puts one message in one trace: request and enqueue in the API, message, respond and record in the worker', async () => {
    const response = await postMessage(pipeline.baseUrl, 'trace me', { headers: { 'x-request-id': 'e2e-trace-1' } });
    expect(response.status).toBe(202);
    expect(response.headers['x-request-id']).toBe('e2e-trace-1');

    const spans = await traceOfRequest(receiver, 'e2e-trace-1');
    const http = only(spans, 'POST /v1/messages');
    const enqueue = only(spans, 'enqueue message');
    const processing = only(spans, 'process message');
    const respond = only(spans, 'respond');
    const record = only(spans, 'record');
    expect([http, enqueue].map((span) => span.service)).toEqual(['msgpipe-api', 'msgpipe-api']);
    expect([processing, respond, record].map((span) => span.service)).toEqual(['msgpipe-worker', 'msgpipe-worker', 'msgpipe-worker']);
    // Parent to child across the two processes: request, enqueue, the worker's message, its steps.
    expect(http.parentSpanId).toBeUndefined();
    expect(enqueue).toMatchObject({ kind: PRODUCER, parentSpanId: http.spanId });
    expect(processing).toMatchObject({ kind: CONSUMER, parentSpanId: enqueue.spanId });
    expect(respond.parentSpanId).toBe(processing.spanId);
    expect(record.parentSpanId).toBe(processing.spanId);
    const id = response.json().id as string;
    expect(processing.attributes).toMatchObject({ 'messaging.message.id': id, 'msgpipe.request_id': 'e2e-trace-1' });
    expect(http.attributes).toMatchObject({ 'http.route': '/v1/messages', 'http.response.status_code': 202 });
  });

  it("logs the request id in the API's access line and in the worker's line for the message", async () => {
    const response = await postMessage(pipeline.baseUrl, 'log me', { headers: { 'x-request-id': 'e2e-log-1' } });
    expect(response.status).toBe(202);
    const id = response.json().id as string;

    const answered = await waitFor('the worker to log the message answered', () =>
      pipeline.workers.flatMap((worker) => logLinesOf(worker.output)).find((line) => line.msg === 'message answered' && line.id === id),
    );
    expect(answered).toMatchObject({ requestId: 'e2e-log-1', level: 20 });
    const access = logLinesOf(pipeline.api.output).find((line) => line.msg === 'request' && line.requestId === 'e2e-log-1');
    expect(access).toMatchObject({ method: 'POST', route: '/v1/messages', status: 202, ip: '127.0.0.1', level: 30 });
    expect(access?.durationMs).toEqual(expect.any(Number));
  });

  it('keeps each message of a batch job in its own trace', async () => {
    const ids = Array.from({ length: 40 }, (_, n) => `e2e-batch-${n}`);
    const responses = await Promise.all(ids.map((requestId) => postMessage(pipeline.baseUrl, `batched ${requestId}`, { headers: { 'x-request-id': requestId } })));
    expect(responses.map((response) => response.status)).toEqual(ids.map(() => 202));

    const traces = await Promise.all(ids.map((requestId) => traceOfRequest(receiver, requestId)));
    for (const spans of traces) {
      const processing = only(spans, 'process message');
      expect(processing.parentSpanId).toBe(only(spans, 'enqueue message').spanId);
      expect(only(spans, 'respond').parentSpanId).toBe(processing.spanId);
      expect(only(spans, 'record').parentSpanId).toBe(processing.spanId);
    }
    // Messages that went together in one job (most of them, sent at once): its span is a trace
    // of its own, linked to each message's enqueue.
    const enqueueOf = new Map(traces.map((spans) => [spans[0]!.traceId, only(spans, 'enqueue message').spanId]));
    const batches = receiver.spans.filter((span) => span.name === 'process batch' && span.links.some((link) => enqueueOf.has(link.traceId)));
    for (const batch of batches) {
      expect(enqueueOf.has(batch.traceId)).toBe(false);
      for (const link of batch.links) expect(link.spanId).toBe(enqueueOf.get(link.traceId));
    }
    expect(enqueueOf.size).toBe(ids.length);
  });

  it("links a client's own trace context, rather than continuing it: only a trusted proxy's is a parent", async () => {
    const callerTrace = '0af7651916cd43dd8448eb211c80319c';
    const traceparent = `00-${callerTrace}-b7ad6b7169203331-01`;
    await postMessage(pipeline.baseUrl, 'from a traced client', { headers: { 'x-request-id': 'e2e-client-trace', traceparent } });
    const http = only(await traceOfRequest(receiver, 'e2e-client-trace'), 'POST /v1/messages');
    expect(http.traceId).not.toBe(callerTrace);
    expect(http.parentSpanId).toBeUndefined();
    expect(http.links).toEqual([{ traceId: callerTrace, spanId: 'b7ad6b7169203331' }]);
  });

  it('answers a request without an id, or with one out of bounds, with an id of its own', async () => {
    const plain = await request(pipeline.baseUrl, '/healthz');
    const tooLong = await request(pipeline.baseUrl, '/healthz', { headers: { 'x-request-id': 'x'.repeat(129) } });
    for (const response of [plain, tooLong]) expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('tracing off, the default protocol, and the spans at a stop', () => {
  let receiver: OtlpReceiver;
  const pipelines: Pipeline[] = [];
  const start = async (options: Parameters<typeof startPipeline>[0]) => {
    const pipeline = await startPipeline(options);
    pipelines.push(pipeline);
    return pipeline;
  };
  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
  });
  afterAll(async () => {
    await Promise.all(pipelines.map((pipeline) => pipeline.kill()));
    await receiver?.close();
  });

  it.each([
    ['OTEL_TRACES_EXPORTER=none', { OTEL_TRACES_EXPORTER: 'none' }],
    ['OTEL_SDK_DISABLED=true', { OTEL_SDK_DISABLED: 'true' }],
  ])('%s: no span leaves either process, though an endpoint is set', async (_, off) => {
    const pipeline = await start({ redis: testRedisUrl(), label: 'tracing-off', env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '50', ...off } });
    const response = await postMessage(pipeline.baseUrl, 'untraced', { headers: { 'x-request-id': 'e2e-off' } });
    expect(response.headers['x-request-id']).toBe('e2e-off');
    const id = response.json().id as string;
    await waitFor('the message answered', async () => (await request(pipeline.baseUrl, `/v1/messages/${id}`)).json().status === 'completed');
    // A traced process sends its last spans as it stops: after a clean stop, none came.
    const endings = await Promise.all(pipeline.processes.map((child) => child.stop('SIGTERM')));
    expect(endings).toEqual(endings.map(() => ({ code: 0, signal: null })));
    expect(receiver.contentTypes).toEqual([]);
    expect(pipeline.logs()).not.toMatch(/tracing on/);
  });

  it('sends OTLP protobuf over HTTP when no protocol is named, as the specification says', async () => {
    const pipeline = await start({ redis: testRedisUrl(), label: 'tracing-proto', workers: 0, env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '50' } });
    expect((await request(pipeline.baseUrl, '/healthz')).status).toBe(200);
    await waitFor('an export from the API', () => receiver.contentTypes.length > 0);
    expect(receiver.contentTypes[0]).toBe('application/x-protobuf');
  });

  it('sends the spans still waiting when it stops on SIGTERM, and exits 0', async () => {
    // Spans wait ten minutes to go out: only the stop sends them.
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '600000' };
    const pipeline = await start({ redis: testRedisUrl(), label: 'tracing-stop', env });
    const response = await postMessage(pipeline.baseUrl, 'flushed', { headers: { 'x-request-id': 'e2e-flushed' } });
    const id = response.json().id as string;
    await waitFor('the message answered', async () => (await request(pipeline.baseUrl, `/v1/messages/${id}`)).json().status === 'completed');
    const endings = await Promise.all(pipeline.processes.map((child) => child.stop('SIGTERM')));
    expect(endings).toEqual(endings.map(() => ({ code: 0, signal: null })));
    const spans = await traceOfRequest(receiver, 'e2e-flushed');
    expect(new Set(spans.map((span) => span.service))).toEqual(new Set(['msgpipe-api', 'msgpipe-worker']));
  });

  it('a collector that is down costs no message: both processes answer, warn, and stop cleanly', async () => {
    const closed = await OtlpReceiver.start();
    await closed.close(); // a port that was just free: nothing listens there now
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: closed.url, OTEL_BSP_SCHEDULE_DELAY: '50', OTEL_EXPORTER_OTLP_TIMEOUT: '500' };
    const pipeline = await start({ redis: testRedisUrl(), label: 'tracing-down', env });
    const response = await postMessage(pipeline.baseUrl, 'nobody collects this');
    expect(response.status).toBe(202);
    const id = response.json().id as string;
    await waitFor('the message answered', async () => (await request(pipeline.baseUrl, `/v1/messages/${id}`)).json().status === 'completed');
    for (const child of pipeline.processes) {
      await waitFor(`${child.name} to warn that its spans did not go out`, () => /tracing: the OpenTelemetry SDK reports a problem/.test(child.output), { timeoutMs: Timeouts.drain });
    }
    const endings = await Promise.all(pipeline.processes.map((child) => child.stop('SIGTERM')));
    expect(endings).toEqual(endings.map(() => ({ code: 0, signal: null })));
  });

  it("continues the trace of a proxy listed in TRUST_PROXY: the request's span is its child", async () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '50', TRUST_PROXY: 'loopback' };
    const pipeline = await start({ redis: testRedisUrl(), label: 'tracing-proxy', env });
    const proxyTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    await postMessage(pipeline.baseUrl, 'through the proxy', { headers: { 'x-request-id': 'e2e-proxied', traceparent: `00-${proxyTrace}-00f067aa0ba902b7-01` } });
    const spans = await traceOfRequest(receiver, 'e2e-proxied');
    expect(only(spans, 'POST /v1/messages')).toMatchObject({ traceId: proxyTrace, parentSpanId: '00f067aa0ba902b7' });
    expect(only(spans, 'record').traceId).toBe(proxyTrace);
  });
});
