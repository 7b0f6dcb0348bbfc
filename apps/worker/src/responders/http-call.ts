import { readAtMost, type BoundedBody } from './bounded-body.js';
import { isTransientStatus, parseRetryAfter, PermanentResponderError, TransientResponderError } from './errors.js';
import { FailureReason } from './failure-reasons.js';

export interface JsonPostOptions {
  /** Names the upstream in error messages: "webhook", "openai". */
  upstream: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** RESPONSE_MAX_BYTES: the most of a reply's body that is read; a longer reply fails for good. */
  maxResponseBytes: number;
  fetch?: typeof fetch;
}

/** Longest error body quoted in a log line. */
const DETAIL_CHARS = 300;
/** What is read of an error answer: enough for DETAIL_CHARS characters of any script. */
const DETAIL_BYTES = DETAIL_CHARS * 4;

interface Exchange {
  status: number;
  retryAfter: string | null;
  cacheControl: string | null;
  body: BoundedBody;
}

/** A successful reply: its JSON, and what its Cache-Control says about sharing it. */
export interface JsonReply {
  json: unknown;
  cacheControl: string | null;
}

/**
 * POSTs a JSON body and returns the parsed JSON reply (with its Cache-Control), classifying every way it can fail:
 * a timeout (the whole exchange, body included), a network error, 408/429/5xx are transient
 * (with the upstream's Retry-After); any other non-2xx, a redirect, a reply over
 * maxResponseBytes or a reply that is not JSON is permanent.
 */
export async function postJson(options: JsonPostOptions): Promise<JsonReply> {
  const { upstream, maxResponseBytes } = options;
  const { status, retryAfter, cacheControl, body } = await exchange(options);

  if (isTransientStatus(status)) {
    throw new TransientResponderError(`${upstream} answered HTTP ${status}`, {
      retryAfterMs: parseRetryAfter(retryAfter),
      reason: FailureReason.unavailable,
    });
  }
  if (status < 200 || status > 299) {
    throw new PermanentResponderError(`${upstream} answered HTTP ${status}`, { detail: body.text.slice(0, DETAIL_CHARS), reason: FailureReason.refused });
  }
  if (!body.complete) {
    throw new PermanentResponderError(`${upstream} answered more than ${maxResponseBytes} bytes (RESPONSE_MAX_BYTES)`, {
      detail: body.text.slice(0, DETAIL_CHARS),
      reason: FailureReason.tooLong,
    });
  }
  try {
    return { json: JSON.parse(body.text) as unknown, cacheControl };
  } catch {
    throw new PermanentResponderError(`${upstream} answered with a body that is not JSON`, {
      detail: body.text.slice(0, DETAIL_CHARS),
      reason: FailureReason.unreadable,
    });
  }
}

/** The request and as much of the answer as is needed; a failure on the way is transient. */
async function exchange({ upstream, url, headers, body, timeoutMs, maxResponseBytes, fetch: fetchImpl = fetch }: JsonPostOptions): Promise<Exchange> {
  try {
    const response = await fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'msgpipe-worker', ...headers },
      body,
      // A redirected POST turns into a GET: a misconfigured URL, not something to follow.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const { status } = response;
    const retryAfter = response.headers.get('retry-after');
    // A transient failure's body is never shown; an error's only its start, for the log.
    const limit = isTransientStatus(status) ? 0 : status >= 200 && status <= 299 ? maxResponseBytes : Math.min(DETAIL_BYTES, maxResponseBytes);
    return { status, retryAfter, cacheControl: response.headers.get('cache-control'), body: await readAtMost(response, limit) };
  } catch (error) {
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      throw new TransientResponderError(`${upstream} did not answer within ${timeoutMs} ms`, { cause: error, reason: FailureReason.timeout });
    }
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    throw new TransientResponderError(`${upstream} unreachable (${describe(error)}${cause})`, { cause: error, reason: FailureReason.unreachable });
  }
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));
