import pino, { type Logger } from 'pino';

export type { Logger };

/** The process logger: JSON lines on stdout, level from LOG_LEVEL. */
export function createLogger(level: string): Logger {
  return pino({ level, base: undefined, redact: ['req.headers.authorization', '*.password'] });
}
