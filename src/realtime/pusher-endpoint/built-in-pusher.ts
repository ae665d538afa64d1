import type { Router } from 'express';
import type { PusherBroadcast, SharedBus } from '../../events/shared-bus';
import type { Logger } from '../../logger';
import { type PusherApp, pusherEventsRoutes } from './pusher-events.routes';
import {
  type PusherPresenceHooks,
  type PusherSocketLimits,
  PusherSocketServer,
} from './pusher-socket.server';

export interface BuiltInPusher {
  /** The HTTP events API, mounted at the root. */
  readonly routes: Router;
  readonly sockets: PusherSocketServer;
  /** Hands broadcasts to the sockets of every instance, in-process: how this server's own events get there. */
  readonly deliver: (broadcasts: PusherBroadcast[]) => Promise<void>;
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
  presence?: PusherPresenceHooks,
): Promise<BuiltInPusher> {
  const sockets = new PusherSocketServer(app, logger, limits, presence);
  await bus.subscribe('pusher-broadcast', (broadcast) => sockets.deliver(broadcast));
  const deliver = async (broadcasts: PusherBroadcast[]): Promise<void> => {
    for (const broadcast of broadcasts) await bus.publish('pusher-broadcast', broadcast);
  };
  const routes = pusherEventsRoutes(app, deliver);
  return { routes, sockets, deliver };
}
