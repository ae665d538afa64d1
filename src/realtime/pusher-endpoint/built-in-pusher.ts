import type { Router } from 'express';
import type { SharedBus } from '../../events/shared-bus';
import type { Logger } from '../../logger';
import { type PusherApp, pusherEventsRoutes } from './pusher-events.routes';
import { type PusherSocketLimits, PusherSocketServer } from './pusher-socket.server';

export interface BuiltInPusher {
  /** The HTTP events API, mounted at the root. */
  readonly routes: Router;
  readonly sockets: PusherSocketServer;
}

/**
 * The built-in Pusher Channels endpoint: events accepted by its HTTP API cross the shared bus, so clients on every
 * instance get them, each once.
 */
export async function createBuiltInPusher(
  app: PusherApp,
  bus: SharedBus,
  logger: Logger,
  limits?: PusherSocketLimits,
): Promise<BuiltInPusher> {
  const sockets = new PusherSocketServer(app, logger, limits);
  await bus.subscribe('pusher-broadcast', (broadcast) => sockets.deliver(broadcast));
  const routes = pusherEventsRoutes(app, async (broadcasts) => {
    for (const broadcast of broadcasts) await bus.publish('pusher-broadcast', broadcast);
  });
  return { routes, sockets };
}
