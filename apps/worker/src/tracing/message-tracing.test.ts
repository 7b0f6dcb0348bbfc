import { BATCH_FORMAT, MESSAGE_JOB_NAME, type BatchJob, type MessageJob, type MessageJobData } from '@msgpipe/shared';
import { waitFor } from '@msgpipe/testkit';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelinePerTest } from '../pipeline.fixture.js';
import { messageTracing } from './message-tracing.js';

const newPipeline = pipelinePerTest();
const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});
afterAll(async () => {
  await provider.shutdown();
  context.disable();
  propagation.disable();
});

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const ENQUEUE_SPAN = '00f067aa0ba902b7';
const traceparent = (trace = TRACE, span = ENQUEUE_SPAN) => `00-${trace}-${span}-01`;

const message = (id: string, extra: Partial<MessageJob> = {}): MessageJob => ({ id, ip: '198.51.100.9', message: `hello ${id}`, sendTime: new Date().toISOString(), ...extra });

function tracedWorker() {
  exporter.reset();
  const pipeline = newPipeline();
  pipeline.startWorker({ tracing: { ...messageTracing(provider.getTracer('test')), shutdown: async () => {} } });
  return pipeline;
}

/** The spans named so, once as many as `count` have ended. */
const ended = (name: string, count: number) =>
  waitFor(`${count} "${name}" spans`, () => {
    const spans = exporter.getFinishedSpans().filter((span) => span.name === name);
    return spans.length >= count && spans;
  });

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const messageSpan = (spans: ReadableSpan[], id: string) => spans.find((span) => span.attributes['messaging.message.id'] === id)!;

describe("the worker's spans", () => {
  it("continue the trace a job of one message carries: message, then respond and record under it", async () => {
    const pipeline = tracedWorker();
    await pipeline.queue.add(MESSAGE_JOB_NAME, message('one', { traceparent: traceparent(), requestId: 'req-one' }), { jobId: 'one' });
    const [processing] = await ended('process message', 1);
    const [respond] = await ended('respond', 1);
    const [record] = await ended('record', 1);
    expect(processing!.spanContext().traceId).toBe(TRACE);
    expect(parentOf(processing!)).toBe(ENQUEUE_SPAN);
    expect(processing!.attributes).toMatchObject({ 'messaging.message.id': 'one', 'msgpipe.request_id': 'req-one', 'msgpipe.attempt': 1 });
    for (const step of [respond!, record!]) {
      expect(step.spanContext().traceId).toBe(TRACE);
      expect(parentOf(step)).toBe(processing!.spanContext().spanId);
    }
    expect(record!.attributes).toMatchObject({ 'msgpipe.status': 'completed', 'msgpipe.written': true });
  });

  it("keep each message of a batch in its own trace; the batch's span links them, and holds those that carried none", async () => {
    const pipeline = tracedWorker();
    const other = 'a3ce929d0e0e47364bf92f3577b34da6';
    const batch: BatchJob = {
      v: BATCH_FORMAT,
      messages: [message('b-1', { traceparent: traceparent() }), message('b-2', { traceparent: traceparent(other, 'b7ad6b7169203331') }), message('b-3')],
    };
    await (pipeline.queue as Queue<MessageJobData>).add(MESSAGE_JOB_NAME, batch, { jobId: 'batch' });
    const [batchSpan] = await ended('process batch', 1);
    const spans = await ended('process message', 3);
    expect(messageSpan(spans, 'b-1').spanContext().traceId).toBe(TRACE);
    expect(messageSpan(spans, 'b-2').spanContext().traceId).toBe(other);
    // An older API's message, without a trace context: under the batch's span.
    expect(parentOf(messageSpan(spans, 'b-3'))).toBe(batchSpan!.spanContext().spanId);
    expect(batchSpan!.links.map((link) => link.context.traceId)).toEqual([TRACE, other]);
    expect([TRACE, other]).not.toContain(batchSpan!.spanContext().traceId);
    expect(batchSpan!.attributes).toMatchObject({ 'messaging.batch.message_count': 3, 'msgpipe.job_id': 'batch' });
  });

  it('mark a failed responder call and message as errors, in the same trace', async () => {
    exporter.reset();
    const pipeline = newPipeline({ RESPONDER_ATTEMPTS: '1' });
    const responder = {
      async respond(): Promise<string> {
        throw new Error('upstream down');
      },
    };
    pipeline.startWorker({ responder, tracing: { ...messageTracing(provider.getTracer('test')), shutdown: async () => {} } });
    await pipeline.queue.add(MESSAGE_JOB_NAME, message('fails', { traceparent: traceparent() }), { jobId: 'fails' });
    const [respond] = await ended('respond', 1);
    const [processing] = await ended('process message', 1);
    expect(respond!.status.code).toBe(2); // SpanStatusCode.ERROR
    expect(processing!.status.code).toBe(2);
    expect(trace.getSpanContext(context.active())).toBeUndefined();
  });
});
