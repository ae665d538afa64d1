import { Router } from 'express';
import type { PusherBroadcast, SharedBus } from '../../events/shared-bus';
import type { Logger } from '../../logger';
import { type CacheChannelStore, InMemoryCacheChannelStore, isCacheChannel } from './cache-channels';
import { ChannelCensus } from './channel-census';
import type { ClientEventSettings } from './client-events';
import type { PusherWebhookEvent } from './pusher-webhooks';
import { type PusherApp, pusherEventsRoutes } from './pusher-events.routes';
import { pusherQueryRoutes } from './pusher-query.routes';
import { apiFallback } from './pusher-api';
import {
  type PusherPresenceHooks,
  type PusherSocketLimits,
  PusherSocketServer,
} from './pusher-socket.server';

/** Pusher's own default: a cache channel's last event is kept 30 minutes. */
const DEFAULT_CACHE_TTL_SECONDS = 1800;

/** The endpoint's settings beyond the sockets' limits; Pusher's defaults where not given. */
export interface BuiltInPusherFeatures {
  readonly clientEvents?: ClientEventSettings & {
    recipients?(channel: string, senderUserId: string): Promise<readonly string[] | undefined>;
  };
  readonly cache?: CacheChannelStore;
  readonly webhook?: (event: PusherWebhookEvent) => void;
}

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
  /** How many instances run now, so the query API knows how many answers to wait for; one when not given. */
  liveInstances?: () => Promise<number>,
  features: BuiltInPusherFeatures = {},
): Promise<BuiltInPusher> {
  const cache = features.cache ?? new InMemoryCacheChannelStore(DEFAULT_CACHE_TTL_SECONDS);
  const deliver = async (broadcasts: PusherBroadcast[]): Promise<void> => {
    for (const broadcast of broadcasts) {
      if (isCacheChannel(broadcast.channel)) {
        await cache
          .remember(broadcast.channel, { event: broadcast.event, data: broadcast.data })
          .catch((error: unknown) => logger.warn({ err: error }, 'could not keep a cache channel event'));
      }
      await bus.publish('pusher-broadcast', broadcast);
    }
  };
  const sockets = new PusherSocketServer(app, logger, limits, presence, {
    clientEvents: {
      ...(features.clientEvents ?? { enabled: true, perSecond: 10 }),
      publish: (broadcast) => deliver([broadcast]),
    },
    cache,
    webhook: features.webhook,
  });
  await bus.subscribe('pusher-broadcast', (broadcast) => sockets.deliver(broadcast));
  await bus.subscribe('pusher-user-terminated', ({ userId }) => sockets.terminateUser(userId));
  const census = await ChannelCensus.start(bus, sockets, liveInstances);
  const routes = Router();
  routes.use(pusherEventsRoutes(app, deliver));
  routes.use(
    pusherQueryRoutes(app, {
      count: (filter) => census.count(filter),
      terminateUser: (userId) => bus.publish('pusher-user-terminated', { userId }),
    }),
  );
  routes.use(...apiFallback());
  return { routes, sockets, deliver };
}
