import cors from 'cors';
import express, {
  type ErrorRequestHandler,
  type NextFunction,
  type Request,
  type Response,
  Router,
} from 'express';
import { UNSTORABLE_TEXT_MESSAGE, unstorableText } from '../../database/unstorable-text';
import { AppError, badInput, SERVER_BUSY } from '../../errors';
import type { Logger } from '../../logger';
import type { AuthService } from '../../services/auth.service';
import { databaseTimeout } from '../../services/db-errors';
import type { Viewer } from '../../services/viewer';
import { bearerToken } from '../bearer-token';
import { clientIp, throttleByIp } from '../throttle-middleware';
import type { Throttles } from '../throttles';
import {
  type LegacyAnswer,
  type LegacyCall,
  type LegacyInput,
  type LegacyRoute,
  refused,
} from './legacy-route';
import { multipartFields } from './multipart';

const BODY_LIMIT = '1mb';
const TOO_MANY = { message: 'Too Many Attempts.' };

/**
 * Laravel's `expectsJson()`: the first Accept type is JSON, or an XMLHttpRequest that accepts anything. It picks
 * the text of the 401, as this app's `Handler::unauthenticated` did.
 */
function expectsJson(req: Request): boolean {
  const first = (req.get('accept') ?? '').split(',')[0].split(';')[0].trim();
  if (first.includes('/json') || first.includes('+json')) return true;
  const anyType = first === '' || first === '*/*' || first === '*';
  return req.get('x-requested-with') === 'XMLHttpRequest' && anyType;
}

function unauthenticated(req: Request, res: Response): void {
  res.status(401).json({ error: expectsJson(req) ? 'Unauthenticated.' : 'Unauthenticated. Please login.' });
}

/** Calls the route's handler; one that needs a viewer is only reached with one. */
function run(route: LegacyRoute, call: LegacyCall): Promise<LegacyAnswer> {
  if (route.auth !== 'required') return route.handle(call);
  if (call.viewer === null) throw new Error(`${route.path} was reached without a viewer`);
  return route.handle({ ...call, viewer: call.viewer });
}

const plainObject = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};

/**
 * The legacy routes under `/api`, answered as Laravel did: `throttle:api` per client IP, bodies form-encoded, JSON
 * or multipart merged over the query string, `auth:api` answering this app's 401, the controllers' envelopes for
 * what a service refuses, and JSON (never an HTML page) for unknown paths, wrong methods and malformed bodies.
 */
export function legacyRouter(
  routes: readonly LegacyRoute[],
  deps: { auth: AuthService; throttles: Throttles; logger: Logger },
): Router {
  const { auth, throttles, logger } = deps;
  const router = Router();
  router.use(cors());
  router.use(throttleByIp(throttles, 'legacyApiPerIp', () => TOO_MANY));
  router.use(
    express.json({ limit: BODY_LIMIT }),
    express.urlencoded({ extended: false, limit: BODY_LIMIT }),
    ...multipartFields(BODY_LIMIT),
  );

  const viewerOf = async (req: Request): Promise<Viewer | null> => {
    const token = bearerToken(req.headers.authorization);
    if (token === undefined) return null;
    try {
      return await auth.authenticate(token);
    } catch (error) {
      if (error instanceof AppError) return null;
      throw error;
    }
  };

  const answer = async (route: LegacyRoute, req: Request, res: Response): Promise<void> => {
    const viewer = route.auth === 'none' ? null : await viewerOf(req);
    if (viewer === null && route.auth === 'required') return unauthenticated(req, res);
    const input: LegacyInput = { ...plainObject(req.query), ...plainObject(req.body) };
    const call: LegacyCall = {
      input,
      params: req.params as Record<string, string>,
      client: clientIp(req),
      // Scheme and host read through the proxies TRUST_PROXY trusts, as Laravel's TrustProxies read them.
      url: `${req.protocol}://${req.host}${req.originalUrl.split('?')[0]}`,
      viewer,
    };
    let result: LegacyAnswer;
    try {
      result = await run(route, call);
    } catch (caught) {
      // As GraphQL answers it: text PostgreSQL cannot store is the client's input, not a fault of the server.
      const error = unstorableText(caught) ? badInput('input', UNSTORABLE_TEXT_MESSAGE) : caught;
      if (!(error instanceof AppError)) throw error;
      if (error.code === 'TOO_MANY_REQUESTS') {
        res.set('Retry-After', String(error.extensions.retryAfter));
        res.status(429).json(TOO_MANY);
        return;
      }
      // The session ended while the request ran (a logout or ban in between): what auth:api would have said.
      if (error.code === 'UNAUTHENTICATED') return unauthenticated(req, res);
      const message = typeof route.failure === 'string' ? route.failure : route.failure(error);
      result = refused(message, route.errorDetail ? error.message : undefined);
    }
    res.status(result.status ?? 200).json(result.body);
  };

  const methods = new Map<string, string[]>();
  for (const route of routes) {
    router[route.method](route.path, (req: Request, res: Response, next: NextFunction) => {
      answer(route, req, res).catch(next);
    });
    const verbs = route.method === 'get' ? ['GET', 'HEAD'] : [route.method.toUpperCase()];
    methods.set(route.path, [...(methods.get(route.path) ?? []), ...verbs]);
  }
  for (const [path, allowed] of methods) {
    router.all(path, (req: Request, res: Response) => {
      res.set('Allow', allowed.join(', '));
      res.status(405).json({
        message: `The ${req.method} method is not supported for this route. Supported methods: ${allowed.join(', ')}.`,
      });
    });
  }
  router.use((req: Request, res: Response) => {
    res
      .status(404)
      .json({ message: `The route ${req.originalUrl.split('?')[0].slice(1)} could not be found.` });
  });
  const errors: ErrorRequestHandler = (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    const { status, expose, message } = (error ?? {}) as {
      status?: number;
      expose?: boolean;
      message?: string;
    };
    if (status !== undefined && status >= 400 && status < 500) {
      res.status(status).json({ message: expose !== false && message ? message : 'Bad Request' });
      return;
    }
    if (databaseTimeout(error)) {
      logger.warn({ err: error, path: req.path }, 'legacy request timed out in the database');
      res.set('Retry-After', String(SERVER_BUSY.retryAfterSeconds));
      res.status(503).json({ message: SERVER_BUSY.message });
      return;
    }
    logger.error({ err: error, path: req.path }, 'legacy request failed');
    res.status(500).json({ message: 'Server Error' });
  };
  router.use(errors);
  return router;
}
