import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { Metrics } from './metrics/metrics';
import { metricsRoutes } from './metrics/metrics.routes';
import { requestMetricsPlugin } from './metrics/request-metrics.plugin';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express from 'express';
import type { Logger as TypeOrmLogger } from 'typeorm';
import type { Config } from './config/config';
import { resolveJwtSecret } from './config/jwt-secret';
import { type Database, openDatabase, runMigrations } from './database/database';
import { OutboxRelay } from './events/outbox-relay';
import { RedisBus } from './events/redis-bus';
import { jsonErrorHandler } from './http/error-handler';
import { clientIp, throttleByIp, upgradeClientIp } from './http/throttle-middleware';
import { Throttles } from './http/throttles';
import { InProcessBus, type SharedBus } from './events/shared-bus';
import type { GraphQLContext } from './graphql/context';
import { viewerResolver } from './graphql/context';
import { createErrorFormatter } from './graphql/format-error';
import { operationLimitRules } from './graphql/limits/operation-limits';
import { noHttpSubscriptions } from './graphql/limits/no-http-subscriptions';
import { createLoaders } from './graphql/loaders';
import { createResolverContainer } from './graphql/resolver-container';
import { sandboxLandingPage } from './graphql/sandbox-landing-page';
import { createSchema } from './graphql/schema';
import { exploreRoutes } from './http/explore.routes';
import { healthRoutes } from './http/health.routes';
import type { Logger } from './logger';
import { broadcastingAuthRoutes } from './realtime/broadcasting-auth.routes';
import { GraphQLWebSocketServer } from './realtime/graphql-ws.server';
import { createBuiltInPusher } from './realtime/pusher-endpoint/built-in-pusher';
import { PusherGateway } from './realtime/pusher-gateway';
import { createRealtimePubSub, publishToSubscribers } from './realtime/topics';
import { ConnectionsPerIp } from './realtime/connections-per-ip';
import { SessionRecheck } from './realtime/session-recheck';
import { routeUpgrades, type UpgradeHandler } from './realtime/upgrade-router';
import { ensureAdminAccount } from './services/admin-account';
import { createServices, type Services } from './services/services';
import { onOutboxCommit } from './subscribers/outbox-staging';
import { withTimeout } from './timeout';

export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:4000`. */
  readonly url: string;
  readonly port: number;
  readonly database: Database;
  readonly services: Services;
  close(): Promise<void>;
  /** What `close` is still waiting on (for the log line when a shutdown hangs). */
  pendingStops(): string[];
}

export interface ServerOptions {
  /** Receives every SQL statement (benchmarks and query-count tests use it). */
  readonly queryLogger?: TypeOrmLogger;
}

const READY_CHECK_TIMEOUT_MS = 2000;

/**
 * Starts one instance: HTTP first (so /healthz answers during start), then the database, the API, and the
 * real-time bridge, all on one port.
 */
export async function startServer(
  config: Config,
  logger: Logger,
  options: ServerOptions = {},
): Promise<RunningServer> {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  const httpServer = http.createServer(app);
  const metrics = new Metrics();
  app.use(metricsRoutes(metrics, config.metricsToken));
  let database: Database | undefined;
  let ready = false;
  app.use(
    healthRoutes(async () => {
      if (!ready || database === undefined) return false;
      await withTimeout(database.dataSource.query('SELECT 1'), READY_CHECK_TIMEOUT_MS);
      return true;
    }),
  );
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;

  // Stopped in reverse order of start.
  const stops: (() => Promise<void>)[] = [];
  const pendingStops = () => stops.map((stop) => stop.toString());
  const close = async () => {
    ready = false;
    stops.reverse();
    while (stops.length > 0) {
      const stop = stops[0];
      await stop().catch((error: unknown) => logger.warn({ err: error }, 'stop failed'));
      stops.shift();
    }
  };
  stops.push(() =>
    httpServer.listening
      ? new Promise<void>((resolve) => httpServer.close(() => resolve()))
      : Promise.resolve(),
  );

  try {
    const jwtSecret = await resolveJwtSecret(config);
    database = await openDatabase(config, options.queryLogger);
    const opened = database;
    stops.push(() => opened.close());
    await runMigrations(database);
    const { dataSource } = database;

    const bus: SharedBus = config.redisUrl
      ? await RedisBus.connect(config.redisUrl, config.redisPrefix, logger)
      : new InProcessBus();
    stops.push(() => bus.close());
    const services = createServices(
      dataSource,
      { ...config, jwtSecret },
      {
        revoked: (revocation) => {
          bus.publish('sessions-revoked', revocation).catch((error: unknown) => {
            logger.error({ err: error, revocation }, 'could not announce ended sessions');
          });
        },
      },
    );
    if (await ensureAdminAccount(dataSource, services.users, services.hasher, config.admin)) {
      logger.info({ email: config.admin?.email }, 'created the first admin account');
    }

    const throttles = Throttles.create(
      config.throttles,
      config.redisUrl ? { url: config.redisUrl, prefix: config.redisPrefix, logger } : undefined,
    );
    stops.push(() => throttles.close());

    const pubSub = createRealtimePubSub();
    await bus.subscribe('realtime', (event) => publishToSubscribers(pubSub, event));
    const schema = await createSchema(pubSub);
    const container = createResolverContainer(services);
    const upgrades: UpgradeHandler[] = [];

    const exposeInternals = config.env === 'development';
    const formatError = createErrorFormatter(logger, exposeInternals, !config.sandbox);
    const limitRules = operationLimitRules(config.graphqlLimits);
    const apollo = new ApolloServer<GraphQLContext>({
      schema,
      formatError,
      includeStacktraceInErrorResponses: exposeInternals,
      introspection: config.sandbox,
      hideSchemaDetailsFromClientErrors: !config.sandbox,
      validationRules: limitRules,
      // main.ts owns the one shutdown path; Apollo's own handlers would race it and hang.
      stopOnTerminationSignals: false,
      plugins: [
        noHttpSubscriptions(),
        ApolloServerPluginDrainHttpServer({ httpServer }),
        requestMetricsPlugin(metrics),
        config.sandbox ? sandboxLandingPage() : ApolloServerPluginLandingPageDisabled(),
      ],
    });
    await apollo.start();
    stops.push(() => apollo.stop());
    app.use(
      '/graphql',
      cors(),
      express.json({ limit: '1mb' }),
      expressMiddleware(apollo, {
        context: async ({ req }) => ({
          viewer: viewerResolver(services.auth, req.headers.authorization),
          loaders: createLoaders(dataSource),
          container,
          throttles,
          client: clientIp(req),
        }),
      }),
    );

    const builtIn = config.pusher.builtIn
      ? await createBuiltInPusher(config.pusher, bus, logger, {
          ...config.sockets,
          maxPayloadBytes: config.sockets.pusherMaxPayloadBytes,
          maxChannels: config.sockets.pusherMaxChannels,
          // /broadcasting/auth below announces every binding; the bus may deliver it just after the subscribe.
          bindingWaitMs: 2000,
        })
      : undefined;
    if (builtIn) {
      app.use(builtIn.routes);
      upgrades.push(builtIn.sockets);
      stops.push(() => builtIn.sockets.close());
      // Pusher channels live as long as the session that signed them, as graphql-ws sockets do.
      await bus.subscribe('pusher-channel-bound', (binding) => builtIn.sockets.bind(binding));
      await bus.subscribe('sessions-revoked', (revocation) => builtIn.sockets.closeSessions(revocation));
      const recheck = new SessionRecheck(
        services.auth,
        config.sessionRecheckSeconds,
        logger,
        () => builtIn.sockets.boundSessions(),
        (sessionId) => builtIn.sockets.endSession(sessionId),
      );
      stops.push(async () => recheck.stop());
      metrics.countSockets('pusher', () => builtIn.sockets.connectionCount);
    }
    const gateway = new PusherGateway(config.pusher, builtIn?.deliver);
    app.use('/broadcasting/auth', throttleByIp(throttles, 'broadcastingAuthPerIp'));
    app.use(
      broadcastingAuthRoutes(
        services.auth,
        gateway,
        config.pusher.builtIn ? (binding) => bus.publish('pusher-channel-bound', binding) : undefined,
      ),
    );
    app.use(exploreRoutes(config));
    app.use(jsonErrorHandler(logger));

    const subscriptions = new GraphQLWebSocketServer({
      schema,
      auth: services.auth,
      logger,
      formatError,
      validationRules: limitRules,
      limits: {
        ...config.sockets,
        maxPayloadBytes: config.sockets.graphqlWsMaxPayloadBytes,
        maxSubscriptions: config.sockets.graphqlWsMaxSubscriptions,
        pingIntervalSeconds: config.sockets.activityTimeoutSeconds,
        sessionRecheckSeconds: config.sessionRecheckSeconds,
      },
      context: (viewer, request) => ({
        viewer: async () => viewer,
        loaders: createLoaders(dataSource),
        container,
        subscriber: viewer,
        throttles,
        client: upgradeClientIp(
          request,
          app.get('trust proxy fn') as (address: string, hop: number) => boolean,
        ),
      }),
    });
    upgrades.push(subscriptions);
    stops.push(() => subscriptions.close());
    metrics.countSockets('graphql-ws', () => subscriptions.connectionCount);
    await bus.subscribe('sessions-revoked', (revocation) => subscriptions.closeSessions(revocation));
    httpServer.on(
      'upgrade',
      routeUpgrades(upgrades, new ConnectionsPerIp(config.sockets.maxConnectionsPerIp)),
    );

    const relay = new OutboxRelay(
      dataSource,
      {
        publish: async (events) => {
          for (const event of events) await bus.publish('realtime', event);
        },
        push: (events) => gateway.push(events),
        maxPushEntries: gateway.maxPushEntries,
      },
      logger,
      {
        exclusive: !database.embedded,
        maxAttempts: config.outbox.maxAttempts,
        retentionHours: config.outbox.retentionHours,
        observer: metrics.relayObserver,
      },
    );
    metrics.readBacklog(() => relay.backlog());
    onOutboxCommit(dataSource, () => relay.kick());
    relay.start();
    stops.push(() => relay.stop());

    ready = true;
    return { url: `http://127.0.0.1:${port}`, port, database, services, close, pendingStops };
  } catch (error) {
    await close();
    throw error;
  }
}
