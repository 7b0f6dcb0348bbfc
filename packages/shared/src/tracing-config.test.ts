import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const tracing = (env: NodeJS.ProcessEnv) => loadConfig(env).tracing;

describe('tracing from the standard OTEL_* variables', () => {
  it('is off when nothing asks for it', () => {
    expect(tracing({})).toBeUndefined();
    expect(tracing({ OTEL_SERVICE_NAME: 'msgpipe' })).toBeUndefined();
  });

  it('is on with an OTLP endpoint, with the specification defaults', () => {
    expect(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual({
      exporters: ['otlp'],
      protocol: 'http/protobuf',
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
      scheduleDelayMs: 5000,
      maxQueueSize: 2048,
    });
    expect(tracing({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector/v1/traces' })?.exporters).toEqual(['otlp']);
  });

  it('is on when OTEL_TRACES_EXPORTER names an exporter', () => {
    expect(tracing({ OTEL_TRACES_EXPORTER: 'otlp' })?.exporters).toEqual(['otlp']);
    expect(tracing({ OTEL_TRACES_EXPORTER: 'console, otlp' })?.exporters).toEqual(['console', 'otlp']);
  });

  it('is off with OTEL_TRACES_EXPORTER=none or OTEL_SDK_DISABLED=true, whatever else is set', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(tracing({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' })).toBeUndefined();
    expect(tracing({ ...endpoint, OTEL_SDK_DISABLED: 'TRUE' })).toBeUndefined();
    expect(tracing({ ...endpoint, OTEL_SDK_DISABLED: 'false' })).toBeDefined();
  });

  it('reads the protocol (the traces one first), sampler and batch delay', () => {
    const config = tracing({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    expect(config).toMatchObject({ protocol: 'http/json', sampler: 'parentbased_traceidratio', samplerRatio: 0.25, scheduleDelayMs: 100 });
  });

  it.each([
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4317'],
    ['OTEL_TRACES_EXPORTER', 'zipkin'],
    ['OTEL_TRACES_SAMPLER', 'sometimes'],
    ['OTEL_TRACES_SAMPLER_ARG', '2'],
    ['OTEL_SDK_DISABLED', 'yes'],
    ['OTEL_BSP_SCHEDULE_DELAY', '0'],
  ])('stops on a bad %s, naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });
});

describe('ACCESS_LOG_LEVEL', () => {
  it('is info unless set, and takes any log level', () => {
    expect(loadConfig({}).accessLogLevel).toBe('info');
    expect(loadConfig({ ACCESS_LOG_LEVEL: 'silent' }).accessLogLevel).toBe('silent');
    expect(() => loadConfig({ ACCESS_LOG_LEVEL: 'loud' })).toThrow(/ACCESS_LOG_LEVEL/);
  });
});
