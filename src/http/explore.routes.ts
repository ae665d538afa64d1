import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { Router } from 'express';
import type { PusherConfig } from '../config/config';

/** The project folder: the nearest one above this file with a package.json (from src/ or from dist/src/). */
function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

/** Where `npm run build:web` puts the bundled pages. */
export const WEB_ROOT = path.join(projectRoot(), 'dist', 'web');

function page(name: string): Router {
  const dir = path.join(WEB_ROOT, name);
  const router = Router();
  router.use((_req, res, next) => {
    if (existsSync(path.join(dir, 'index.html'))) return next();
    res.status(503).type('text/plain').send('This page is not built yet: run `npm run build:web`.');
  });
  router.use(express.static(dir, { index: 'index.html', maxAge: '1h' }));
  return router;
}

export interface ExploreSettings {
  readonly sandbox: boolean;
  readonly listenPage: boolean;
  readonly pusher: PusherConfig;
}

/**
 * The browser pages: `/graphiql` (GraphiQL bundled from npm, works offline) and the legacy `/test/listen` page,
 * which needs to know where pusher-js should connect.
 */
export function exploreRoutes(settings: ExploreSettings): Router {
  const router = Router();
  if (settings.sandbox) router.use('/graphiql', page('graphiql'));
  if (settings.listenPage) {
    const { pusher } = settings;
    router.get('/test/listen/pusher.json', (_req, res) => {
      res.json({
        key: pusher.key,
        cluster: pusher.cluster ?? 'mt1',
        // The built-in endpoint answers on the page's own host and port.
        ...(pusher.host === undefined ? {} : { wsHost: pusher.host, wsPort: pusher.port }),
        forceTLS: pusher.builtIn ? false : pusher.useTLS,
      });
    });
    router.use('/test/listen', page('listen'));
  }
  return router;
}
