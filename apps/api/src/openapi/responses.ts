import { z } from '@hono/zod-openapi';
import type { ErrorCode } from '../http/errors.js';
import { STATUS_OF } from '../http/error-response.js';
import { errorSchema } from './schemas.js';

/** Response headers, as the API sets them (intake/rate-limiter.ts, error-response.ts, admin-auth.ts). */
export const RATE_LIMIT_HEADERS = {
  RateLimit: z.string().optional().openapi({
    description: 'The budget left (`r`) and seconds until it is whole again (`t`), when the limit is on: draft-ietf-httpapi-ratelimit-headers.',
    example: '"per-ip";r=59;t=1',
  }),
  'RateLimit-Policy': z.string().optional().openapi({ description: 'The budget per window, in seconds (`w`).', example: '"per-ip";q=60;w=60' }),
};
const RETRY_AFTER = z.string().regex(/^\d+$/).openapi({ description: 'Seconds to wait before trying again.', example: '2' });
const LOCATION = z.string().regex(/^\/v1\/messages\/[A-Za-z0-9_-]{22}$/).openapi({ description: 'Where the message can be read.' });
const WWW_AUTHENTICATE = z.string().openapi({ example: 'Basic realm="msgpipe admin", charset="UTF-8"' });

/** The headers of an answer with a status and codes; `Retry-After` wherever every one of its codes sets it. */
function errorHeaders(status: number, codes: readonly ErrorCode[]) {
  if (status === 503) return z.object({ 'Retry-After': RETRY_AFTER });
  if (status === 401) return z.object({ 'WWW-Authenticate': WWW_AUTHENTICATE });
  if (status !== 429) return undefined;
  const retry = codes.every((code) => code !== 'too_many_streams') ? RETRY_AFTER : RETRY_AFTER.optional();
  return z.object({ 'Retry-After': retry, ...(codes.includes('rate_limited') ? RATE_LIMIT_HEADERS : {}) });
}

/** When each code is answered, for the document's readers. */
const WHEN: Readonly<Record<ErrorCode, string>> = {
  auth_throttled: 'too many wrong admin tokens from this address this minute (ADMIN_AUTH_FAILURES_PER_MINUTE)',
  bad_request: 'the request is malformed',
  cross_site_request: 'sent by a page of another site',
  empty_message: 'the message is blank',
  headers_too_large: 'the request headers are too large (answered before routing)',
  internal: 'a fault of ours',
  invalid_body: 'not `{"message": "…"}`, not UTF-8, a control character other than newline and tab, or nested too deep',
  invalid_idempotency_key: 'not 1–200 visible ASCII characters',
  invalid_ip: 'not an IPv4 or IPv6 address',
  invalid_json: 'the body is not JSON',
  invalid_query: 'a query parameter outside its range',
  message_too_large: 'the message is over MESSAGE_MAX_BYTES',
  not_found: 'no such message sent from this address',
  rate_limited: 'over the send budget (RATE_LIMIT_PER_MINUTE) or, for reads, the read budget (READ_RATE_LIMIT_PER_MINUTE)',
  request_timeout: 'the request did not arrive in time (answered before routing)',
  too_many_streams: 'STREAMS_PER_IP streams are open from this address',
  unauthorized: 'no admin token, or a wrong one',
  unavailable: 'Redis cannot be reached or is stalled',
  unknown_client: 'the client address cannot be told',
  unsupported_media_type: 'not JSON or a form, or a charset other than UTF-8',
};

/** What any request can meet before a route sees it: headers too large, or too slow to arrive. */
const BEFORE_ROUTING: readonly ErrorCode[] = ['headers_too_large', 'request_timeout'];

/**
 * The error answers of a route, grouped by status: each with the error shape, its codes and its
 * headers. Besides `codes`, every route documents what can happen to any request: the answers
 * given before routing and, as `default`, a fault of ours.
 */
export function errorResponses(...codes: ErrorCode[]) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set([...codes, ...BEFORE_ROUTING])) byStatus.set(STATUS_OF[code], [...(byStatus.get(STATUS_OF[code]) ?? []), code]);
  const documented = Object.fromEntries(
    [...byStatus].map(([status, group]) => {
      const headers = errorHeaders(status, group);
      const description = group.map((code) => `\`${code}\`: ${WHEN[code]}`).join('; ');
      const content = { 'application/json': { schema: errorSchema(group as [ErrorCode, ...ErrorCode[]]) } };
      return [status, { description, content, ...(headers && { headers }) }];
    }),
  );
  return { ...documented, default: INTERNAL_ERROR };
}

const INTERNAL_ERROR = {
  description: '`internal`: a fault of ours (never an answer to client input).',
  content: { 'application/json': { schema: errorSchema(['internal']) } },
};

export const htmlPage = (description: string) => ({ description, content: { 'text/html': { schema: z.string() } } });
export const jsonBody = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
export { LOCATION };
