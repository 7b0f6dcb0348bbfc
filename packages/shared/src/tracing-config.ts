import { z } from 'zod';

/**
 * The OpenTelemetry variables msgpipe reads itself, by their standard names. The OTLP exporter
 * reads the rest of its own (OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION, …), and the
 * resource OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
 */
const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;
const PROTOCOLS = ['http/protobuf', 'http/json'] as const;
const EXPORTERS = ['otlp', 'console', 'none'] as const;

const otlpUrl = z.string().refine(
  (value) => {
    try {
      return ['http:', 'https:'].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  },
  { error: 'expected an http:// or https:// URL (OTLP over HTTP; gRPC is not supported)' },
);

const protocol = z.enum(PROTOCOLS, { error: `expected ${PROTOCOLS.join(' or ')} (gRPC is not supported)` });

/** A comma-separated list, as the specification allows for OTEL_TRACES_EXPORTER. */
const exporterList = z
  .string()
  .transform((value) => value.split(',').map((item) => item.trim().toLowerCase()))
  .pipe(z.array(z.enum(EXPORTERS, { error: `expected ${EXPORTERS.join(', ')} or a comma-separated list of them` })));

export const tracingEnvShape = {
  OTEL_SDK_DISABLED: z
    .string()
    .transform((value) => value.toLowerCase())
    .pipe(z.enum(['true', 'false'], { error: 'expected true or false' }))
    .optional(),
  OTEL_TRACES_EXPORTER: exporterList.optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpUrl.optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: protocol.optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: protocol.optional(),
  OTEL_TRACES_SAMPLER: z.enum(SAMPLERS, { error: `expected one of ${SAMPLERS.join(', ')}` }).optional(),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number({ error: 'expected a number from 0 to 1' }).min(0).max(1).optional(),
  OTEL_BSP_SCHEDULE_DELAY: z.coerce.number({ error: 'expected milliseconds from 1 to 600000' }).int().min(1).max(600_000).optional(),
  OTEL_BSP_MAX_QUEUE_SIZE: z.coerce.number({ error: 'expected an integer from 1 to 1000000' }).int().min(1).max(1_000_000).optional(),
};

type TracingEnv = z.output<z.ZodObject<typeof tracingEnvShape>>;

export type TraceSampler = (typeof SAMPLERS)[number];
export type OtlpProtocol = (typeof PROTOCOLS)[number];

/** Tracing when it is on; see tracingConfigOf for when that is. */
export interface TracingConfig {
  readonly exporters: ReadonlyArray<'otlp' | 'console'>;
  /** Of the OTLP exporter: JSON or protobuf over HTTP. Default http/protobuf, as the specification says. */
  readonly protocol: OtlpProtocol;
  readonly sampler: TraceSampler;
  /** The ratio of the traceidratio samplers. */
  readonly samplerRatio: number;
  /** How long finished spans wait to go out together. */
  readonly scheduleDelayMs: number;
  /** Finished spans kept for export at most; more are dropped rather than held. */
  readonly maxQueueSize: number;
}

/**
 * Tracing is off unless asked for: OTEL_TRACES_EXPORTER names an exporter, or (with it unset)
 * an OTLP endpoint is set. OTEL_SDK_DISABLED=true and OTEL_TRACES_EXPORTER=none turn it off
 * whatever else is set. An off process loads no SDK at all.
 */
export function tracingConfigOf(env: TracingEnv): TracingConfig | undefined {
  if (env.OTEL_SDK_DISABLED === 'true') return undefined;
  const named = env.OTEL_TRACES_EXPORTER ?? (env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? ['otlp' as const] : []);
  const exporters = [...new Set(named.filter((name): name is 'otlp' | 'console' => name !== 'none'))];
  if (exporters.length === 0) return undefined;
  return {
    exporters,
    protocol: env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf',
    sampler: env.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on',
    samplerRatio: env.OTEL_TRACES_SAMPLER_ARG ?? 1,
    scheduleDelayMs: env.OTEL_BSP_SCHEDULE_DELAY ?? 5000,
    maxQueueSize: env.OTEL_BSP_MAX_QUEUE_SIZE ?? 2048,
  };
}
