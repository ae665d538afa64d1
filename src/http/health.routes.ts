import { Router } from 'express';

/**
 * `/healthz`: the process runs. `/readyz`: the database answers and migrations are applied, so a load balancer
 * sends traffic only to instances that can serve it.
 */
export function healthRoutes(isReady: () => Promise<boolean>): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const ready = await isReady().catch(() => false);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable' });
  });
  return router;
}
