import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * The process logger, level from LOG_LEVEL: JSON lines on stdout, except in development at a terminal, where
 * pino-pretty makes them readable (log collectors always get JSON).
 */
export function createLogger(level: string, env: string = 'production'): Logger {
  const options = { level, base: undefined, redact: ['req.headers.authorization', '*.password'] };
  if (env === 'development' && process.stdout.isTTY) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  return pino(options);
}
