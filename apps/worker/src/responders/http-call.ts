import { isTransientStatus, parseRetryAfter, PermanentResponderError, TransientResponderError } from './errors.js';

export interface JsonPostOptions {
  /** Names the upstream in error messages: "webhook", "openai". */
  upstream: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** Longest error body quoted in a log line. */
const DETAIL_CHARS = 300;

/**
 * POSTs a JSON body and returns the parsed JSON reply, classifying every way it can fail:
 * a timeout (the whole exchange, body included), a network error, 408/429/5xx are transient
 * (with the upstream's Retry-After); any other non-2xx, a redirect or a reply that is not
 * JSON is permanent.
 */
export async function postJson({ upstream, url, headers, body, timeoutMs, fetch: fetchImpl = fetch }: JsonPostOptions): Promise<unknown> {
  let status: number;
  let text: string;
  let retryAfter: string | null;
  try {
    const response = await fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'msgpipe-worker', ...headers },
      body,
      // A redirected POST turns into a GET: a misconfigured URL, not something to follow.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = response.status;
    retryAfter = response.headers.get('retry-after');
    text = await response.text();
  } catch (error) {
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      throw new TransientResponderError(`${upstream} did not answer within ${timeoutMs} ms`, { cause: error });
    }
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    throw new TransientResponderError(`${upstream} unreachable (${describe(error)}${cause})`, { cause: error });
  }

  if (isTransientStatus(status)) {
    throw new TransientResponderError(`${upstream} answered HTTP ${status}`, { retryAfterMs: parseRetryAfter(retryAfter) });
  }
  if (status < 200 || status > 299) {
    throw new PermanentResponderError(`${upstream} answered HTTP ${status}`, { detail: text.slice(0, DETAIL_CHARS) });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new PermanentResponderError(`${upstream} answered with a body that is not JSON`, { detail: text.slice(0, DETAIL_CHARS) });
  }
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));
