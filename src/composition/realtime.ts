import type http from 'node:http';
import type { Express } from 'express';
import type { GraphQLSchema } from 'graphql';
import type { Config } from '../config/config';
import type { SharedBus } from '../events/shared-bus';
import { throttleByIp, upgradeClientIp } from '../http/throttle-middleware';
import type { Throttles } from '../http/throttles';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics/metrics';
import { broadcastingAuthRoutes } from '../realtime/broadcasting-auth.routes';
import { GraphQLWebSocketServer } from '../realtime/graphql-ws.server';
import { createBuiltInPusher } from '../realtime/pusher-endpoint/built-in-pusher';
import type { PusherSocketServer } from '../realtime/pusher-endpoint/pusher-socket.server';
import { PusherGateway } from '../realtime/pusher-gateway';
import { SessionRecheck } from '../realtime/session-recheck';
import { SocketSlots } from '../realtime/socket-slots';
import { routeUpgrades, type UpgradeHandler } from '../realtime/upgrade-router';
import type { Services } from '../services/services';
import type { GraphQLApi } from './graphql-api';
import type { Live } from './live';
import type { Stops } from './stops';

export interface RealtimeParts {
  readonly app: Express;
  readonly httpServer: http.Server;
  readonly schema: GraphQLSchema;
  readonly api: GraphQLApi;
  readonly services: Services;
  readonly bus: SharedBus;
  readonly live: Live;
  readonly throttles: Throttles;
  readonly metrics: Metrics;
  readonly config: Config;
  readonly logger: Logger;
  readonly stops: Stops;
}

export interface Realtime {
  /** Where the outside Pusher service is fed, and channel subscriptions signed. */
  readonly gateway: PusherGateway;
  /** The built-in Pusher endpoint's sockets, without an outside Pusher service. */
  readonly pusherSockets: PusherSocketServer | undefined;
}

/**
 * The sockets on the shared port, each living as long as its session: graphql-ws at `/graphql`, and, without an
 * outside Pusher service, the built-in Pusher endpoint; plus `/broadcasting/auth`.
 */
export async function buildRealtime(parts: RealtimeParts): Promise<Realtime> {
  const { app, httpServer, schema, api, services, bus, live, throttles, metrics, config, logger, stops } =
    parts;
  const upgrades: UpgradeHandler[] = [];

  const builtIn = config.pusher.builtIn
    ? await createBuiltInPusher(
        config.pusher,
        bus,
        logger,
        {
          ...config.sockets,
          maxPayloadBytes: config.sockets.pusherMaxPayloadBytes,
          maxChannels: config.sockets.pusherMaxChannels,
          // /broadcasting/auth announces every binding; the bus may deliver it just after the subscribe.
          bindingWaitMs: 2000,
        },
        live.pusherPresence,
        () => live.presence.liveInstances(),
        {
          clientEvents: {
            enabled: config.pusher.clientEvents,
            perSecond: config.pusher.clientEventsPerSecond,
            recipients: live.clientEventRecipients,
          },
          cache: live.pusherCache,
          webhook: live.webhooks && ((event) => live.webhooks?.send(event)),
        },
      )
    : undefined;
  if (builtIn) {
    app.use(builtIn.routes);
    upgrades.push(builtIn.sockets);
    stops.add('built-in Pusher sockets', () => builtIn.sockets.close());
    // Pusher channels live as long as the session that signed them, as graphql-ws sockets do.
    await bus.subscribe('pusher-channel-bound', (binding) => builtIn.sockets.bind(binding));
    await bus.subscribe('sessions-revoked', (revocation) => builtIn.sockets.closeSessions(revocation));
    live.presence.onChange((change) => {
      if (change.group.startsWith('presence-')) builtIn.sockets.memberChanged(change);
    });
    const recheck = new SessionRecheck(
      services.auth,
      config.sessionRecheckSeconds,
      logger,
      () => builtIn.sockets.boundSessions(),
      (sessionId) => builtIn.sockets.endSession(sessionId),
    );
    stops.add('Pusher session re-check', () => recheck.stop());
    metrics.countSockets('pusher', () => builtIn.sockets.connectionCount);
    bus.onReconnect(() => {
      builtIn.sockets.busReconnected();
      void recheck.run();
    });
  }
  const gateway = new PusherGateway(config.pusher, builtIn?.deliver);
  app.use('/broadcasting/auth', throttleByIp(throttles, 'broadcastingAuthPerIp'));
  app.use('/broadcasting/user-auth', throttleByIp(throttles, 'broadcastingAuthPerIp'));
  app.use(
    broadcastingAuthRoutes(
      services.auth,
      gateway,
      builtIn ? (binding) => bus.publish('pusher-channel-bound', binding) : undefined,
      live.authorizePresenceChannel,
    ),
  );

  // Sockets count against the same per-IP throttles as HTTP, read through the same trusted proxies.
  const trustProxy = app.get('trust proxy fn') as (address: string, hop: number) => boolean;
  const subscriptions = new GraphQLWebSocketServer({
    schema,
    auth: services.auth,
    logger,
    formatError: api.formatError,
    validationRules: api.limitRules,
    limits: {
      ...config.sockets,
      maxPayloadBytes: config.sockets.graphqlWsMaxPayloadBytes,
      maxSubscriptions: config.sockets.graphqlWsMaxSubscriptions,
      pingIntervalSeconds: config.sockets.activityTimeoutSeconds,
      sessionRecheckSeconds: config.sessionRecheckSeconds,
    },
    context: (viewer, client) => api.socketContext(viewer, client),
    clientOf: (request) => upgradeClientIp(request, trustProxy),
    presence: live.socketPresence,
  });
  upgrades.push(subscriptions);
  stops.add('graphql-ws sockets', () => subscriptions.close());
  metrics.countSockets('graphql-ws', () => subscriptions.connectionCount);
  await bus.subscribe('sessions-revoked', (revocation) => subscriptions.closeSessions(revocation));
  // Committed events come from the log and only wait for its poll; what crosses only the bus must catch up.
  bus.onReconnect(() => {
    void subscriptions.recheckSessions();
    live.topics.interrupt();
  });

  const slots = new SocketSlots({
    perIp: config.sockets.maxConnectionsPerIp,
    unauthenticatedPerIp: config.sockets.maxUnauthenticatedPerIp,
    total: config.sockets.maxConnections,
  });
  httpServer.on(
    'upgrade',
    routeUpgrades(upgrades, { slots, clientOf: (request) => upgradeClientIp(request, trustProxy) }),
  );
  live.pushThrough(gateway);
  return { gateway, pusherSockets: builtIn?.sockets };
}
