import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Logger as TypeOrmLogger } from 'typeorm';
import { buildGraphQLApi } from './composition/graphql-api';
import { buildLegacyApi } from './composition/legacy-api';
import { buildLive } from './composition/live';
import { startDelivery } from './composition/delivery';
import { serveMetrics } from './composition/metrics';
import { buildRealtime } from './composition/realtime';
import { Stops } from './composition/stops';
import type { Config } from './config/config';
import { resolveJwtSecret } from './config/jwt-secret';
import { type Database, openDatabase, runMigrations } from './database/database';
import { RedisBus } from './events/redis-bus';
import { InProcessBus, type SharedBus } from './events/shared-bus';
import { createSchema } from './graphql/schema';
import { jsonErrorHandler } from './http/error-handler';
import { exploreRoutes } from './http/explore.routes';
import { healthRoutes } from './http/health.routes';
import { Throttles } from './http/throttles';
import type { Logger } from './logger';
import { Metrics } from './metrics/metrics';
import { createRealtimePubSub } from './realtime/topics';
import { watchSessionChanges } from './composition/session-cache';
import { ensureAdminAccount } from './services/admin-account';
import { createServices, type Services } from './services/services';
import { withTimeout } from './timeout';

export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:4000`. */
  readonly url: string;
  readonly port: number;
  /** Where `/metrics` is scraped when METRICS_PORT gives it a listener of its own. */
  readonly metricsUrl: string | undefined;
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
 * Starts one instance: HTTP first (so /healthz answers during start), then the database, the services, the
 * GraphQL API, the real-time sockets and the delivery from the event log, all on one port. Each part registers its stop; `close`
 * runs them in reverse order.
 */
export async function startServer(
  config: Config,
  logger: Logger,
  options: ServerOptions = {},
): Promise<RunningServer> {
  const app = express();
  app.disable('x-powered-by');
  // A hash of every GraphQL answer for an ETag no client revalidates with; static files keep their own.
  app.disable('etag');
  app.set('trust proxy', config.trustProxy);
  const httpServer = http.createServer(app);
  const metrics = new Metrics({
    maxLength: config.metrics.operationNameMaxLength,
    maxNames: config.metrics.maxOperations,
  });
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

  const stops = new Stops(logger);
  const close = async () => {
    ready = false;
    await stops.runAll();
  };
  stops.add('HTTP listener', () =>
    httpServer.listening
      ? new Promise<void>((resolve) => httpServer.close(() => resolve()))
      : Promise.resolve(),
  );

  try {
    const metricsUrl = await serveMetrics({ app, metrics, config, logger, stops });
    const jwtSecret = await resolveJwtSecret(config);
    database = await openDatabase(config, options.queryLogger);
    const opened = database;
    stops.add('database', () => opened.close());
    await runMigrations(database);
    const { dataSource } = database;

    const bus: SharedBus = config.redisUrl
      ? await RedisBus.connect(config.redisUrl, config.redisPrefix, logger)
      : new InProcessBus();
    stops.add('bus', () => bus.close());
    const throttles = Throttles.create(
      config.throttles,
      config.redisUrl ? { url: config.redisUrl, prefix: config.redisPrefix, logger } : undefined,
    );
    stops.add('throttles', () => throttles.close());
    const services = createServices(
      dataSource,
      {
        ...config,
        jwtSecret,
        eventRetentionHours: config.outbox.retentionHours,
        sessionCacheTtlMs: config.sessionCacheTtlMs,
      },
      {
        revoked: (revocation) => {
          bus.publish('sessions-revoked', revocation).catch((error: unknown) => {
            logger.error({ err: error, revocation }, 'could not announce ended sessions');
          });
        },
      },
      throttles,
    );
    await watchSessionChanges(dataSource, bus, services.auth, logger);
    if (await ensureAdminAccount(dataSource, services.users, services.hasher, config.admin)) {
      logger.info({ email: config.admin?.email }, 'created the first admin account');
    }

    const pubSub = createRealtimePubSub(config.sockets.graphqlWsMaxQueuedEvents);
    const schema = await createSchema(pubSub);
    const common = { app, httpServer, schema, services, throttles, metrics, config, logger, stops };
    const live = await buildLive({
      dataSource,
      bus,
      config,
      throttles,
      logger,
      stops,
      messages: services.messages,
    });
    const api = await buildGraphQLApi({ ...common, dataSource, pubSub, live });
    const { gateway, pusherSockets } = await buildRealtime({ ...common, api, bus, live });
    buildLegacyApi(common);
    app.use(exploreRoutes(config));
    app.use(jsonErrorHandler(logger));
    await startDelivery({ database, bus, pubSub, pusherSockets, gateway, metrics, config, logger, stops });

    ready = true;
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      metricsUrl,
      database,
      services,
      close,
      pendingStops: () => stops.pending(),
    };
  } catch (error) {
    await close();
    throw error;
  }
}
