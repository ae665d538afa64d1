import type http from 'node:http';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express, { type Express } from 'express';
import type { GraphQLFormattedError, GraphQLSchema, ValidationRule } from 'graphql';
import type { DataSource } from 'typeorm';
import type { Config } from '../config/config';
import { type GraphQLContext, SocketContext, viewerResolver } from '../graphql/context';
import { createErrorFormatter } from '../graphql/format-error';
import { noHttpSubscriptions } from '../graphql/limits/no-http-subscriptions';
import { operationLimitRules } from '../graphql/limits/operation-limits';
import { createLoaders, type Loaders } from '../graphql/loaders';
import { createResolverContainer, type LiveServices } from '../graphql/resolver-container';
import { sandboxLandingPage } from '../graphql/sandbox-landing-page';
import { clientIp } from '../http/throttle-middleware';
import type { Throttles } from '../http/throttles';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics/metrics';
import type { RealtimePubSub } from '../realtime/topics';
import { requestMetricsPlugin } from '../metrics/request-metrics.plugin';
import type { Services } from '../services/services';
import type { Viewer } from '../services/viewer';
import type { Stops } from './stops';

export interface GraphQLApi {
  /** The error formatting HTTP answers get, for the WebSocket transport to use too. */
  readonly formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** The operation limits, for the WebSocket transport to apply too. */
  readonly limitRules: ValidationRule[];
  /** The context of one operation on a subscription socket. */
  readonly socketContext: (viewer: Viewer, client: string) => GraphQLContext;
}

export interface GraphQLApiParts {
  readonly app: Express;
  readonly httpServer: http.Server;
  readonly schema: GraphQLSchema;
  /** The live events of this instance, for the resumable subscription. */
  readonly pubSub: RealtimePubSub;
  readonly services: Services;
  readonly dataSource: DataSource;
  readonly live: LiveServices;
  readonly throttles: Throttles;
  readonly metrics: Metrics;
  readonly config: Config;
  readonly logger: Logger;
  readonly stops: Stops;
}

/** Apollo Server on `/graphql` for queries and mutations over HTTP, with the limits and error rules of the API. */
export async function buildGraphQLApi(parts: GraphQLApiParts): Promise<GraphQLApi> {
  const {
    app,
    httpServer,
    schema,
    pubSub,
    services,
    dataSource,
    live,
    throttles,
    metrics,
    config,
    logger,
    stops,
  } = parts;
  const container = createResolverContainer(services, pubSub, live);
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
      // No cache hints are used; Apollo's default cache-control plugin would wrap every field's resolver.
      ApolloServerPluginCacheControlDisabled(),
      noHttpSubscriptions(),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      requestMetricsPlugin(metrics),
      config.sandbox ? sandboxLandingPage() : ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();
  stops.add('GraphQL over HTTP', () => apollo.stop());
  app.use(
    '/graphql',
    cors(),
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, {
      // Loaders and the client address on demand: most operations (`me`, a conversation page read with its
      // users) use neither, and every request would otherwise build two loaders and walk the proxy chain.
      context: async ({ req }) => {
        let loaders: Loaders | undefined;
        let client: string | undefined;
        return {
          viewer: viewerResolver(services.auth, req.headers.authorization),
          get loaders() {
            return (loaders ??= createLoaders(dataSource, services.messages));
          },
          container,
          throttles,
          get client() {
            return (client ??= clientIp(req));
          },
        };
      },
    }),
  );
  const socketLoaders = () => createLoaders(dataSource, services.messages);
  return {
    formatError,
    limitRules,
    socketContext: (viewer, client) => new SocketContext(viewer, client, container, throttles, socketLoaders),
  };
}
