import type { EventEmitter } from 'node:events';

/** Node's codes for a server certificate the client does not trust. */
const UNTRUSTED_CERTIFICATE_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
]);

const HINT_MARK = ' -- ';

/**
 * What an operator should do about a Redis connection error, or undefined when ioredis's own
 * message says enough. Never includes a credential: only the server's reply and Node's codes.
 */
export function redisErrorHint(error: Error): string | undefined {
  const code = (error as NodeJS.ErrnoException).code;
  if (/^(WRONGPASS|NOAUTH)\b|^ERR invalid password/.test(error.message)) {
    return 'Redis authentication failed: check the user name and password in REDIS_URL';
  }
  // A command refused inside a Lua script (BullMQ's or ours) is worded differently (Redis 7.0).
  if (/^NOPERM\b|^ERR The user executing the script can't (run this command|access)/.test(error.message)) {
    return 'the Redis ACL user may not run this command or touch these keys: see deploy/redis-acl.conf';
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return 'Redis TLS certificate is for another host: use a host name or IP address in REDIS_URL that the certificate lists';
  }
  if (code !== undefined && UNTRUSTED_CERTIFICATE_CODES.has(code)) {
    return `Redis TLS certificate not trusted (${code}): give Node the CA that signed it with NODE_EXTRA_CA_CERTS=/path/to/ca.pem`;
  }
  return undefined;
}

/**
 * The error's message with its hint, if it has one and does not carry it already. ioredis's
 * Cluster says only "Failed to refresh slots cache." and keeps the node's reply (a NOPERM,
 * say) in `lastNodeError`: that reply is added to the message, and hinted.
 */
export function withRedisHint(error: Error): string {
  if (error.message.includes(HINT_MARK)) return error.message;
  const cause = (error as { lastNodeError?: unknown }).lastNodeError;
  const nodeError = cause instanceof Error && !error.message.includes(cause.message) ? cause : undefined;
  const message = nodeError ? `${error.message} (${nodeError.message})` : error.message;
  const hint = redisErrorHint(error) ?? (nodeError && redisErrorHint(nodeError));
  return hint ? `${message}${HINT_MARK}${hint}` : message;
}

/** An ioredis Redis or Cluster, as far as this module cares. */
// Redis and Cluster duplicate() take different options, hence any.
type Connection = EventEmitter & { duplicate?: (...args: any[]) => EventEmitter };

/** Commands whose arguments are credentials. */
const CREDENTIAL_COMMANDS = new Set(['auth', 'hello']);

/**
 * ioredis attaches the failed command, arguments included, to a reply error: for a refused
 * AUTH that is the password. Anything that prints the whole error object (pino's error
 * serializer, util.inspect, BullMQ's console.error of errors nobody listens to) would print it.
 */
function withoutCredentials(error: Error): void {
  const { command, lastNodeError } = error as Error & { command?: { name?: string; args?: unknown[] }; lastNodeError?: unknown };
  if (command && CREDENTIAL_COMMANDS.has(String(command.name).toLowerCase()) && Array.isArray(command.args)) {
    command.args = command.args.map(() => '[redacted]');
  }
  if (lastNodeError instanceof Error) withoutCredentials(lastNodeError); // a Cluster's
}

/**
 * On every error the connection emits, before anyone else sees it: drops the credentials
 * ioredis attached, and appends the hint to the message so whatever logs `error.message`
 * tells the operator what is wrong. Appended, not prepended: callers match replies by their
 * first word (see isRedisUnavailableError), and ioredis rejects queued commands with the very
 * same error object. Connections BullMQ duplicates from this one get the same treatment.
 */
export function explainConnectionErrors(connection: Connection, diagnose?: (error: Error) => string | undefined): void {
  connection.prependListener('error', (error: unknown) => {
    if (!(error instanceof Error)) return;
    withoutCredentials(error);
    error.message = withRedisHint(error);
    // A cause the error does not carry, found by other means (see slot-refresh-diagnosis).
    const found = error.message.includes(HINT_MARK) ? undefined : diagnose?.(error);
    if (found) error.message = `${error.message}${HINT_MARK}${found}`;
    // ioredis prints errors nobody listens to; this listener must not silence that.
    if (connection.listenerCount('error') === 1) console.error('[ioredis] Unhandled error event:', error.message);
  });
  const duplicate = connection.duplicate;
  if (typeof duplicate === 'function') {
    connection.duplicate = (...args: unknown[]) => {
      const copy = duplicate.apply(connection, args);
      explainConnectionErrors(copy, diagnose);
      return copy;
    };
  }
}
