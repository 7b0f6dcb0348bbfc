import type { Logger, TracingConfig } from '@msgpipe/shared';
import { context, diag, DiagLogLevel, propagation, trace, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';

/** The longest attribute value a span keeps; a longer one is cut. */
const MAX_ATTRIBUTE_CHARS = 1024;

/** The OpenTelemetry SDK of one process, loaded (by telemetry.ts) only when tracing is on. */
export interface TracingSdk {
  tracer: Tracer;
  /** Exports the spans still waiting, then stops. */
  shutdown(): Promise<void>;
}

function samplerOf({ sampler, samplerRatio }: TracingConfig): Sampler {
  const root = sampler.endsWith('always_off') ? new AlwaysOffSampler() : sampler.endsWith('traceidratio') ? new TraceIdRatioBasedSampler(samplerRatio) : new AlwaysOnSampler();
  return sampler.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root;
}

/** The exporter's own endpoint, headers and timeout come from its OTEL_EXPORTER_OTLP_* variables. */
async function exporterOf(name: 'otlp' | 'console', protocol: TracingConfig['protocol']): Promise<SpanExporter> {
  if (name === 'console') return new ConsoleSpanExporter();
  const { OTLPTraceExporter } =
    protocol === 'http/json' ? await import('@opentelemetry/exporter-trace-otlp-http') : await import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter();
}

/** The SDK reports a failed export as the error in JSON, stack and all: its message and code suffice. */
function diagnosticOf(message: string): { err: string; code?: string } {
  try {
    const { message: err, code } = JSON.parse(message) as { message?: unknown; code?: unknown };
    if (typeof err === 'string') return typeof code === 'string' ? { err, code } : { err };
  } catch {
    // not JSON: a message of its own
  }
  return { err: message.slice(0, 500) };
}

/**
 * Starts tracing: W3C trace context, context kept across awaits (AsyncLocalStorage), spans sent
 * in batches. `serviceName` unless OTEL_SERVICE_NAME (or OTEL_RESOURCE_ATTRIBUTES) names another.
 * The SDK's own warnings (an export that failed) go to the process's log.
 */
export async function startTracingSdk(config: TracingConfig, serviceName: string, logger: Logger): Promise<TracingSdk> {
  const exporters = await Promise.all(config.exporters.map((name) => exporterOf(name, config.protocol)));
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': serviceName }))
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new TracerProvider({
    resource,
    sampler: samplerOf(config),
    // Attributes taken from requests (a path, a client's ids) stay bounded, whatever was sent.
    spanLimits: { attributeValueLengthLimit: MAX_ATTRIBUTE_CHARS },
    spanProcessors: exporters.map((exporter) => new BatchSpanProcessor({ exporter, scheduledDelayMillis: config.scheduleDelayMs, maxQueueSize: config.maxQueueSize })),
  });
  const log = (message: string) => logger.warn(diagnosticOf(message), 'tracing: the OpenTelemetry SDK reports a problem');
  diag.setLogger({ error: log, warn: log, info: () => {}, debug: () => {}, verbose: () => {} }, { logLevel: DiagLogLevel.WARN });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return { tracer: provider.getTracer('msgpipe'), shutdown: () => provider.shutdown() };
}
