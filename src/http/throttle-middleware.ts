import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { type ThrottledAction, ThrottledError, type Throttles } from './throttles';

/** The client's address as express sees it, through the proxies TRUST_PROXY trusts. */
export function clientIp(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

/** Counts each request against its client IP; past the limit answers 429 with `Retry-After` (seconds). */
export function throttleByIp(throttles: Throttles, action: ThrottledAction): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    // CORS preflights carry no credentials and do no work; only real attempts count.
    if (req.method === 'OPTIONS') return next();
    throttles.consume(action, clientIp(req)).then(
      () => next(),
      (error: unknown) => {
        if (!(error instanceof ThrottledError)) return next(error);
        res.set('Retry-After', String(error.retryAfterSeconds));
        res.status(429).json({ message: error.message, retryAfter: error.retryAfterSeconds });
      },
    );
  };
}
