import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import proxyAddr from 'proxy-addr';
import { type ThrottledAction, ThrottledError, type Throttles } from './throttles';

/** The client's address as express sees it, through the proxies TRUST_PROXY trusts. */
export function clientIp(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

/**
 * The client's address of a request that never went through express (a WebSocket upgrade), read with the same
 * trust as `clientIp`, so a graphql-ws socket counts against the same per-IP throttles as HTTP.
 */
export function upgradeClientIp(
  request: IncomingMessage,
  trust: (address: string, hop: number) => boolean,
): string {
  if (request.socket.remoteAddress === undefined) return 'unknown';
  return proxyAddr(request, trust);
}

/**
 * Counts each request against its client IP; past the limit answers 429 with `Retry-After` (seconds) and the body
 * `refusal` makes (by default `{message, retryAfter}`).
 */
export function throttleByIp(
  throttles: Throttles,
  action: ThrottledAction,
  refusal: (error: ThrottledError) => unknown = (error) => ({
    message: error.message,
    retryAfter: error.retryAfterSeconds,
  }),
): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    // CORS preflights carry no credentials and do no work; only real attempts count.
    if (req.method === 'OPTIONS') return next();
    throttles.consume(action, clientIp(req)).then(
      () => next(),
      (error: unknown) => {
        if (!(error instanceof ThrottledError)) return next(error);
        res.set('Retry-After', String(error.retryAfterSeconds));
        res.status(429).json(refusal(error));
      },
    );
  };
}
