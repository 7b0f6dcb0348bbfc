import { getConnInfo } from '@hono/node-server/conninfo';
import { isTracestate, normalizeIp, type TraceCarrier, type TrustedProxies } from '@msgpipe/shared';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context as OtelContext, type TextMapGetter, type Tracer } from '@opentelemetry/api';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { routePath } from 'hono/route';
import type { AppEnv } from '../context.js';
import type { ApiTracing } from './telemetry.js';

/** Reads a traceparent a traced client or proxy sent; the propagator validates what it reads. */
const fromRequest: TextMapGetter<Context<AppEnv>> = {
  keys: () => ['traceparent', 'tracestate'],
  get: (c, key) => c.req.header(key),
};

/** The trace context a job carries: its enqueue span's, tracestate only within its bounds. */
export function carrierOf(active: OtelContext): Partial<TraceCarrier> {
  const fields: Record<string, string> = {};
  propagation.inject(active, fields);
  const { traceparent, tracestate } = fields;
  if (traceparent === undefined) return {};
  return tracestate !== undefined && isTracestate(tracestate) ? { traceparent, tracestate } : { traceparent };
}

const errorOf = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));

/**
 * The API's spans: one per request (a child of the caller's trace context, when a trusted proxy sent one),
 * named by method and route pattern, and one per message enqueued under it, whose context the
 * job carries to the worker.
 */
export function httpTracing(tracer: Tracer, trustProxy: TrustedProxies | undefined): Omit<ApiTracing, 'shutdown'> {
  /**
   * Whether the request's trace context is the parent of its span: only from a proxy listed in
   * TRUST_PROXY. Anyone else's would let any client pick its trace id and, with a parent-based
   * sampler, have every one of its requests traced; its context is only linked.
   */
  const trusted = (c: Context<AppEnv>) => {
    if (!trustProxy) return false;
    const peer = normalizeIp(getConnInfo(c).remote.address ?? '');
    return peer !== undefined && trustProxy.has(peer);
  };

  const middleware = createMiddleware<AppEnv>(async (c, next) => {
    const caller = c.req.header('traceparent') === undefined ? ROOT_CONTEXT : propagation.extract(ROOT_CONTEXT, c, fromRequest);
    const callerSpan = trace.getSpanContext(caller);
    const parent = callerSpan && trusted(c) ? caller : ROOT_CONTEXT;
    const links = callerSpan && parent === ROOT_CONTEXT ? [{ context: callerSpan }] : [];
    const attributes = { 'http.request.method': c.req.method, 'url.path': c.req.path, 'msgpipe.request_id': c.get('requestId') };
    const span = tracer.startSpan(c.req.method, { kind: SpanKind.SERVER, attributes, links }, parent);
    try {
      await context.with(trace.setSpan(parent, span), next);
    } finally {
      const matched = routePath(c, -1);
      const route = matched === '/*' || matched === '*' ? 'unmatched' : matched;
      const status = c.res.status;
      span.updateName(`${c.req.method} ${route}`);
      span.setAttributes({ 'http.route': route, 'http.response.status_code': status });
      const clientIp = c.get('clientIp');
      if (clientIp !== undefined) span.setAttribute('client.address', clientIp);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
  });

  async function enqueue(messageId: string, send: (carrier: Partial<TraceCarrier>) => Promise<void>): Promise<void> {
    const span = tracer.startSpan('enqueue message', {
      kind: SpanKind.PRODUCER,
      attributes: { 'messaging.system': 'bullmq', 'messaging.operation.type': 'send', 'messaging.message.id': messageId },
    });
    try {
      await send(carrierOf(trace.setSpan(context.active(), span)));
    } catch (error) {
      span.recordException(errorOf(error));
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  }

  return { middleware, enqueue };
}
