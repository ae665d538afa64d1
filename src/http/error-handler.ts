import type { ErrorRequestHandler } from 'express';
import { SERVER_BUSY } from '../errors';
import type { Logger } from '../logger';
import { databaseTimeout } from '../services/db-errors';

/** What body-parser and friends attach to the errors they raise for a bad request. */
interface HttpError {
  readonly status?: number;
  readonly statusCode?: number;
  readonly expose?: boolean;
  readonly message?: string;
}

/**
 * The last handler: a malformed body (bad JSON, wrong charset, too large) answers its 4xx as JSON, in the shape each
 * endpoint speaks, instead of express's HTML page with a stack trace on stderr; a database timeout is a 503 with
 * Retry-After (/broadcasting/auth, say, behind a held lock); anything else is a logged 500.
 */
export function jsonErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    if (databaseTimeout(error)) {
      logger.warn({ err: error, path: req.path }, 'request timed out in the database');
      res.set('Retry-After', String(SERVER_BUSY.retryAfterSeconds));
      res.status(503).json({ message: SERVER_BUSY.message });
      return;
    }
    const { status, statusCode, expose, message } = (error ?? {}) as HttpError;
    const code = status ?? statusCode ?? 500;
    const clientError = code >= 400 && code < 500;
    if (!clientError) logger.error({ err: error, path: req.path }, 'request failed');
    const text = clientError && expose !== false && message ? message : 'Internal server error';
    const httpStatus = clientError ? code : 500;
    if (req.path === '/graphql') {
      res.status(httpStatus).json({
        errors: [
          { message: text, extensions: { code: clientError ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR' } },
        ],
      });
      return;
    }
    res.status(httpStatus).json({ message: text });
  };
}
