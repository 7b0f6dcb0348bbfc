import type { Logger, TraceCarrier, TracingConfig, TrustedProxies } from '@msgpipe/shared';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.js';

export interface EnqueueTracing {
  /**
   * Runs `send` in a span of its own under the request's; `send` gets that span's trace context
   * to put in the job, where the worker's spans of the message continue the trace.
   */
  enqueue(messageId: string, send: (carrier: Partial<TraceCarrier>) => Promise<void>): Promise<void>;
}

/** The API's tracing when it is on: see tracing/http-tracing.ts. */
export interface ApiTracing extends EnqueueTracing {
  /** A span per request; after the request id, before everything else. */
  middleware: MiddlewareHandler<AppEnv>;
  /** Sends the spans still waiting; on shutdown. */
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry tracing when the OTEL_* variables ask for it (config.tracing), before
 * anything else is built. Off, it loads nothing: the SDK and the API's spans are imported here,
 * on demand, and the app gets no tracing at all, so a request or a message pays one branch.
 */
export async function startTelemetry(
  config: TracingConfig | undefined,
  logger: Logger,
  /** TRUST_PROXY: whose trace context a request's span continues (see httpTracing). */
  trustProxy?: TrustedProxies,
): Promise<ApiTracing | undefined> {
  if (!config) return undefined;
  const [{ startTracingSdk }, { httpTracing }] = await Promise.all([import('@msgpipe/tracing'), import('./http-tracing.js')]);
  const sdk = await startTracingSdk(config, 'msgpipe-api', logger);
  logger.info({ exporters: config.exporters, protocol: config.protocol, sampler: config.sampler }, 'tracing on');
  return { ...httpTracing(sdk.tracer, trustProxy), shutdown: sdk.shutdown };
}
