import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { apiRequestProblem } from './pusher-signature';

export interface PusherApp {
  readonly appId: string;
  readonly key: string;
  readonly secret: string;
}

/** A refusal of the HTTP API, answered as `{"error": message, "code": status}` with that status. */
export class PusherApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const rawBody = express.raw({ type: () => true, limit: '1mb' });

/** The body of a request `signed` let through; empty for a GET. */
export const bodyOf = (req: Request): Buffer => (Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));

/**
 * Reads the body, checks the app id and the signature as the `pusher` SDK signs every call, then runs the handler;
 * every refusal, here or in the handler, is Pusher's JSON error with its status, never an HTML page.
 */
export function signed(
  app: PusherApp,
  handler: (req: Request, res: Response) => Promise<void> | void,
): RequestHandler[] {
  const check = async (req: Request, res: Response) => {
    try {
      if (req.params.appId !== app.appId) throw new PusherApiError(404, 'unknown app_id');
      const problem = apiRequestProblem(app.key, app.secret, {
        method: req.method,
        path: req.path,
        query: req.query as Record<string, unknown>,
        body: bodyOf(req),
      });
      if (problem !== undefined) throw new PusherApiError(401, problem);
      await handler(req, res);
    } catch (error) {
      if (!(error instanceof PusherApiError)) throw error;
      apiError(res, error.status, error.message);
    }
  };
  return [rawBody, check];
}

export function apiError(res: Response, status: number, message: string): void {
  res.status(status).json({ error: message, code: status });
}

/** Under `/apps/`, what no route answered: JSON 404 (and JSON for a body express could not read). */
export function apiFallback(): [
  RequestHandler,
  (error: unknown, req: Request, res: Response, next: NextFunction) => void,
] {
  return [
    (req, res, next) => (req.path.startsWith('/apps/') ? apiError(res, 404, 'not found') : next()),
    (error, req, res, next) => {
      if (!req.path.startsWith('/apps/')) return next(error);
      const status = (error as { status?: unknown }).status;
      apiError(
        res,
        typeof status === 'number' && status < 500 ? status : 500,
        'the request could not be read',
      );
    },
  ];
}
