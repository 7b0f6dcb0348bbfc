/**
 * What travels with a message from the API to the worker for its logs and traces, and the
 * bounds each is held to: job data is decided by whoever can add a job, so the worker checks
 * them again (see job-data.ts).
 */

/** A request id: 1–128 visible ASCII characters (no space, no control character). */
export const REQUEST_ID_PATTERN = /^[\x21-\x7e]{1,128}$/;

/**
 * A W3C traceparent of version 00: trace id, parent span id, flags. All-zero ids are invalid
 * (W3C Trace Context, section 3.2.2.3 and 3.2.2.4).
 */
export const TRACEPARENT_PATTERN = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * W3C tracestate: at most 32 list members of at most 256 characters each; a vendor would
 * rather drop it than carry a long one, so 512 printable ASCII characters bound it here.
 */
export const MAX_TRACESTATE_CHARS = 512;
export const TRACESTATE_PATTERN = /^[\x20-\x7e]{1,512}$/;

export const isRequestId = (value: string): boolean => REQUEST_ID_PATTERN.test(value);
export const isTraceparent = (value: string): boolean => TRACEPARENT_PATTERN.test(value);
export const isTracestate = (value: string): boolean => TRACESTATE_PATTERN.test(value);

/** A message's trace context as the job carries it: where its worker spans hang. */
export interface TraceCarrier {
  traceparent: string;
  tracestate?: string;
}
