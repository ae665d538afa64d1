import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import type { Config } from '../config/config';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics/metrics';
import { metricsRoutes } from '../metrics/metrics.routes';
import type { Stops } from './stops';

/**
 * Where `/metrics` is served. With METRICS_PORT, on a listener of its own (loopback unless METRICS_HOST says
 * otherwise), never on PORT. Without it, on PORT: in development always, in production only behind METRICS_TOKEN,
 * since the process's figures are not for every client that can reach the API. Resolves to the scrape URL of the
 * own listener, when there is one.
 */
export async function serveMetrics(parts: {
  readonly app: Express;
  readonly metrics: Metrics;
  readonly config: Config;
  readonly logger: Logger;
  readonly stops: Stops;
}): Promise<string | undefined> {
  const { app, metrics, config, logger, stops } = parts;
  const { port, host } = config.metrics;
  if (port === undefined) {
    if (!config.isProduction || config.metricsToken !== undefined) {
      app.use(metricsRoutes(metrics, config.metricsToken));
    } else {
      logger.warn('/metrics is not served: in production set METRICS_TOKEN or METRICS_PORT');
    }
    return undefined;
  }
  const own = express();
  own.disable('x-powered-by');
  own.use(metricsRoutes(metrics, config.metricsToken));
  const server = http.createServer(own);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  stops.add('metrics listener', () => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${shown}:${address.port}/metrics`;
}
