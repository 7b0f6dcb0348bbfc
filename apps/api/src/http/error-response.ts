import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppEnv } from '../context.js';
import type { AppError, ErrorCode } from './errors.js';

/** The HTTP status of every error code: the one table. */
export const STATUS_OF: Readonly<Record<ErrorCode, ContentfulStatusCode>> = {
  bad_request: 400,
  empty_message: 400,
  invalid_body: 400,
  invalid_idempotency_key: 400,
  invalid_ip: 400,
  invalid_json: 400,
  invalid_query: 400,
  unknown_client: 400,
  unauthorized: 401,
  cross_site_request: 403,
  not_found: 404,
  request_timeout: 408,
  message_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  too_many_streams: 429,
  auth_throttled: 429,
  headers_too_large: 431,
  internal: 500,
  unavailable: 503,
};

/**
 * The error shape `{"error": {"code", "message"}}`, with the code's status (or `status`, for a
 * refusal whose status Hono chose), Retry-After and any `headers`.
 */
export function errorResponse(
  c: Context<AppEnv>,
  error: AppError,
  headers: Record<string, string> = {},
  status: ContentfulStatusCode = STATUS_OF[error.code],
): Response {
  c.set('errorCode', error.code);
  if (error.retryAfterSeconds !== undefined) c.header('Retry-After', String(error.retryAfterSeconds));
  for (const [name, value] of Object.entries(headers)) c.header(name, value);
  return c.json({ error: { code: error.code, message: error.message } }, status);
}

/** The error shape as a body of its own, for answers written before Hono sees a request. */
export function errorBody(code: ErrorCode, message: string): string {
  return JSON.stringify({ error: { code, message } });
}
