import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express from 'express';
import type { Logger as TypeOrmLogger } from 'typeorm';
import type { Config } from './config/config';
import { resolveJwtSecret } from './config/jwt-secret';
import { type Database, openDatabase, runMigrations } from './database/database';
import type { GraphQLContext } from './graphql/context';
import { viewerResolver } from './graphql/context';
import { createErrorFormatter } from './graphql/format-error';
import { createLoaders } from './graphql/loaders';
import { createResolverContainer } from './graphql/resolver-container';
import { createSchema } from './graphql/schema';
import { healthRoutes } from './http/health.routes';
import type { Logger } from './logger';
import { ensureAdminAccount } from './services/admin-account';
import { createServices, type Services } from './services/services';

export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:4000`. */
  readonly url: string;
  readonly port: number;
  readonly database: Database;
  readonly services: Services;
  close(): Promise<void>;
}

export interface ServerOptions {
  /** Receives every SQL statement (benchmarks and query-count tests use it). */
  readonly queryLogger?: TypeOrmLogger;
}

const READY_CHECK_TIMEOUT_MS = 2000;

/** Starts one instance: HTTP first (so /healthz answers during start), then the database, then the API. */
export async function startServer(
  config: Config,
  logger: Logger,
  options: ServerOptions = {},
): Promise<RunningServer> {
  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);
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
  let apollo: ApolloServer<GraphQLContext> | undefined;

  const close = async () => {
    ready = false;
    await apollo?.stop();
    if (httpServer.listening) await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    await database?.close();
  };

  try {
    const jwtSecret = await resolveJwtSecret(config);
    database = await openDatabase(config, options.queryLogger);
    await runMigrations(database);
    const { dataSource } = database;
    const services = createServices(dataSource, { ...config, jwtSecret });
    if (await ensureAdminAccount(dataSource, services.users, services.hasher, config.admin)) {
      logger.info({ email: config.admin?.email }, 'created the first admin account');
    }

    const exposeInternals = config.env === 'development';
    apollo = new ApolloServer<GraphQLContext>({
      schema: await createSchema(),
      formatError: createErrorFormatter(logger, exposeInternals),
      includeStacktraceInErrorResponses: exposeInternals,
      plugins: [ApolloServerPluginDrainHttpServer({ httpServer })],
    });
    await apollo.start();
    const container = createResolverContainer(services);
    app.use(
      '/graphql',
      cors(),
      express.json({ limit: '1mb' }),
      expressMiddleware(apollo, {
        context: async ({ req }) => ({
          viewer: viewerResolver(services.auth, req.headers.authorization),
          loaders: createLoaders(dataSource),
          container,
        }),
      }),
    );
    ready = true;
    return { url: `http://127.0.0.1:${port}`, port, database, services, close };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
