import type { Express } from 'express';
import type { Config } from '../config/config';
import { legacyRouter } from '../http/legacy/legacy-router';
import { legacyRoutes } from '../http/legacy/legacy-routes';
import type { Throttles } from '../http/throttles';
import type { Logger } from '../logger';
import type { Services } from '../services/services';

export interface LegacyApiParts {
  readonly app: Express;
  readonly services: Services;
  readonly throttles: Throttles;
  readonly config: Config;
  readonly logger: Logger;
}

/** The Laravel routes under `/api` for apps that cannot be updated: a second door to the same services. */
export function buildLegacyApi({ app, services, throttles, config, logger }: LegacyApiParts): void {
  const routes = legacyRoutes({ services, legacyTokenTtlSeconds: config.legacyTokenTtlSeconds });
  app.use('/api', legacyRouter(routes, { auth: services.auth, throttles, logger }));
}
