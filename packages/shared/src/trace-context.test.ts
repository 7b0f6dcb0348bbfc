import { describe, expect, it } from 'vitest';
import { isRequestId, isTraceparent, isTracestate } from './trace-context.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

describe('request ids', () => {
  it.each(['a', 'req-42', 'x'.repeat(128), '~!"#$%&()*+,./:;<=>?@[\\]^_`{|}'])('takes %j', (id) => {
    expect(isRequestId(id)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['129 characters', 'x'.repeat(129)],
    ['a space', 'a b'],
    ['a control character', 'a\nb'],
    ['non-ASCII', 'reqé'],
  ])('refuses one %s', (_, id) => {
    expect(isRequestId(id)).toBe(false);
  });
});

describe('traceparent', () => {
  it('takes a version-00 traceparent, sampled or not', () => {
    expect(isTraceparent(`00-${TRACE_ID}-${SPAN_ID}-01`)).toBe(true);
    expect(isTraceparent(`00-${TRACE_ID}-${SPAN_ID}-00`)).toBe(true);
  });

  it.each([
    ['another version', `01-${TRACE_ID}-${SPAN_ID}-01`],
    ['upper-case hex', `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${SPAN_ID}-01`],
    ['an all-zero span id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['something after it', `00-${TRACE_ID}-${SPAN_ID}-01-extra`],
    ['a short trace id', `00-${TRACE_ID.slice(1)}-${SPAN_ID}-01`],
  ])('refuses one with %s', (_, value) => {
    expect(isTraceparent(value)).toBe(false);
  });
});

describe('tracestate', () => {
  it('takes up to 512 printable characters', () => {
    expect(isTracestate('vendor=value,other=1')).toBe(true);
    expect(isTracestate(`v=${'x'.repeat(510)}`)).toBe(true);
  });

  it('refuses a longer one, or one with control characters', () => {
    expect(isTracestate(`v=${'x'.repeat(511)}`)).toBe(false);
    expect(isTracestate('v=1\r\nX-Evil: 1')).toBe(false);
  });
});
