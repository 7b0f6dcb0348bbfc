/**
 * Every error code the API answers with. Domain code throws AppError with one of these; the
 * HTTP status of each is in error-response.ts, the one place that knows about HTTP.
 */
export type ErrorCode =
  | 'auth_throttled'
  | 'bad_request'
  | 'cross_site_request'
  | 'empty_message'
  | 'headers_too_large'
  | 'internal'
  | 'invalid_body'
  | 'invalid_idempotency_key'
  | 'invalid_ip'
  | 'invalid_json'
  | 'invalid_query'
  | 'message_too_large'
  | 'not_found'
  | 'rate_limited'
  | 'request_timeout'
  | 'too_many_streams'
  | 'unauthorized'
  | 'unavailable'
  | 'unknown_client'
  | 'unsupported_media_type';

/** A failure the client can act on: the error shape `{"error": {"code", "message"}}`, and when to come back. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Worth trying again after this many seconds (Retry-After). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** Redis cannot serve us right now; the client should come back shortly. */
export class UnavailableError extends AppError {
  constructor(message = 'The message store is unavailable; try again shortly.') {
    super('unavailable', message, 2);
  }
}
