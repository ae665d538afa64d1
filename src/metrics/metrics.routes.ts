import { timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import { bearerToken } from '../http/bearer-token';
import type { Metrics } from './metrics';

function sameToken(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `GET /metrics` in Prometheus text format; with a token set, only for `Authorization: Bearer <token>`. */
export function metricsRoutes(metrics: Metrics, token: string | undefined): Router {
  const router = Router();
  router.get('/metrics', async (req, res) => {
    if (token !== undefined && !sameToken(bearerToken(req.headers.authorization), token)) {
      res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: 'unauthorized' });
      return;
    }
    const body = await metrics.registry.metrics();
    res.set('Content-Type', metrics.registry.contentType).send(body);
  });
  return router;
}
