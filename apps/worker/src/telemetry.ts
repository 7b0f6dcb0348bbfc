import type { BatchJob, Logger, TracingConfig } from '@msgpipe/shared';
import type { Job } from 'bullmq';
import type { ExchangeWriter, MessageAttempt } from './message-attempt.js';
import type { Responder } from './responders/responder.js';

/** The worker's tracing when it is on: wrappers that add spans (see tracing/message-tracing.ts). */
export interface WorkerTracing {
  /** A span per message attempt, continuing the trace its job data carries. */
  attempt(attempt: MessageAttempt): MessageAttempt;
  /** A span per responder call, under the message's. */
  responder(responder: Responder): Responder;
  /** A span per history record, under the message's. */
  recorder(recorder: ExchangeWriter): ExchangeWriter;
  /** A span per batch job, linked to its messages' traces. */
  batch(processBatch: (job: Job<BatchJob>) => Promise<void>): (job: Job<BatchJob>) => Promise<void>;
  /** Sends the spans still waiting; on shutdown. */
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry tracing when the OTEL_* variables ask for it (config.tracing), before
 * the worker is built. Off, it loads nothing, and the worker is built without wrappers: a
 * message pays nothing for tracing.
 */
export async function startTelemetry(config: TracingConfig | undefined, logger: Logger): Promise<WorkerTracing | undefined> {
  if (!config) return undefined;
  const [{ startTracingSdk }, { messageTracing }] = await Promise.all([import('@msgpipe/tracing'), import('./tracing/message-tracing.js')]);
  const sdk = await startTracingSdk(config, 'msgpipe-worker', logger);
  logger.info({ exporters: config.exporters, protocol: config.protocol, sampler: config.sampler }, 'tracing on');
  return { ...messageTracing(sdk.tracer), shutdown: sdk.shutdown };
}
