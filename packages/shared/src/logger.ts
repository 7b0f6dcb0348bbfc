import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/** Paths that may carry secrets anywhere they are logged. */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'adminToken',
  '*.adminToken',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers.cookie',
  '*.headers.cookie',
  'redisUrl',
  '*.redisUrl',
  'redis.url',
  '*.redis.url',
];

export interface LoggerSettings {
  name: string;
  level: string;
  /** Pretty output for people; defaults to "stdout is a terminal and NODE_ENV is not production". */
  pretty?: boolean;
  /** Where the JSON lines go instead of stdout (never pretty): tests read what was logged. */
  destination?: DestinationStream;
}

/** JSON lines in production, readable colour in a terminal; secrets never printed. */
export function createLogger({ name, level, pretty, destination }: LoggerSettings): Logger {
  const usePretty = destination === undefined && (pretty ?? (process.stdout.isTTY === true && process.env.NODE_ENV !== 'production'));
  const options: LoggerOptions = {
    name,
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (usePretty) {
    options.transport = {
      target: 'pino-pretty',
      options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
    };
  }
  return destination === undefined ? pino(options) : pino(options, destination);
}
