import type { BatchJob, MessageJob } from '@msgpipe/shared';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Link, type Span, type TextMapGetter, type Tracer } from '@opentelemetry/api';
import type { Job } from 'bullmq';
import type { ExchangeWriter, MessageAttempt } from '../message-attempt.js';
import type { Responder } from '../responders/responder.js';
import type { WorkerTracing } from '../telemetry.js';

/** Reads a message's trace context from its job data (validated there: see job-data.ts). */
const fromMessage: TextMapGetter<MessageJob> = {
  keys: () => ['traceparent', 'tracestate'],
  get: (message, key) => (key === 'traceparent' ? message.traceparent : key === 'tracestate' ? message.tracestate : undefined),
};

const remoteContextOf = (message: MessageJob) => propagation.extract(ROOT_CONTEXT, message, fromMessage);

/** Runs `work` with `span` ended after it, marked failed by what it throws. */
async function within<T>(span: Span, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    span.recordException(error instanceof Error ? error : new Error(String(error)));
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw error;
  } finally {
    span.end();
  }
}

/**
 * The worker's spans. Each message's are in its own trace, whatever job carried it: "process
 * message" is a child of the enqueue span whose context the message carries, and "respond" and
 * "record" are children of that. A batch job's span is a trace of its own, linked to each
 * message's, since one span cannot have a parent per message.
 */
export function messageTracing(tracer: Tracer): Omit<WorkerTracing, 'shutdown'> {
  const attempt = (inner: MessageAttempt): MessageAttempt => (message, number, isLast) => {
    // A message enqueued untraced (or before tracing) hangs under its batch's span, if any.
    const parent = message.traceparent === undefined ? context.active() : remoteContextOf(message);
    const attributes = {
      'messaging.system': 'bullmq',
      'messaging.operation.type': 'process',
      'messaging.message.id': message.id,
      'msgpipe.attempt': number,
      ...(message.requestId !== undefined && { 'msgpipe.request_id': message.requestId }),
    };
    const span = tracer.startSpan('process message', { kind: SpanKind.CONSUMER, attributes }, parent);
    return context.with(trace.setSpan(parent, span), () => within(span, () => inner(message, number, isLast)));
  };

  const responder = (inner: Responder): Responder => ({
    respond: (message, responderContext) => {
      const span = tracer.startSpan('respond', { kind: SpanKind.CLIENT, attributes: { 'messaging.message.id': responderContext.id } });
      return within(span, () => inner.respond(message, responderContext));
    },
  });

  const recorder = (inner: ExchangeWriter): ExchangeWriter => ({
    record: (ip, entry) => {
      const span = tracer.startSpan('record', { attributes: { 'messaging.message.id': entry.id, 'msgpipe.status': entry.status } });
      return within(span, async () => {
        const written = await inner.record(ip, entry);
        span.setAttribute('msgpipe.written', written);
        return written;
      });
    },
  });

  const batch =
    (inner: (job: Job<BatchJob>) => Promise<void>) =>
    (job: Job<BatchJob>): Promise<void> => {
      // Links only from what looks like messages: the data is validated inside, before any use.
      const messages: unknown[] = Array.isArray(job.data?.messages) ? job.data.messages : [];
      const links: Link[] = [];
      for (const message of messages) {
        if (typeof (message as Partial<MessageJob> | null)?.traceparent !== 'string') continue;
        const spanContext = trace.getSpanContext(remoteContextOf(message as MessageJob));
        if (spanContext) links.push({ context: spanContext });
      }
      const attributes = { 'messaging.system': 'bullmq', 'messaging.operation.type': 'process', 'messaging.batch.message_count': messages.length, 'msgpipe.job_id': job.id ?? '' };
      const span = tracer.startSpan('process batch', { kind: SpanKind.CONSUMER, attributes, links, root: true });
      return context.with(trace.setSpan(ROOT_CONTEXT, span), () => within(span, () => inner(job)));
    };

  return { attempt, responder, recorder, batch };
}
