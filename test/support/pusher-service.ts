import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { InProcessBus, type PusherBroadcast } from '../../src/events/shared-bus';
import { createLogger } from '../../src/logger';
import { createBuiltInPusher } from '../../src/realtime/pusher-endpoint/built-in-pusher';
import { routeUpgrades } from '../../src/realtime/upgrade-router';

export const PUSHER_APP = { appId: 'app-id', key: 'app-key', secret: 'app-secret' };

/** The settings that send a spawned server's events to the service on `port` instead of its built-in endpoint. */
export const outsidePusherEnv = (port: number): Record<string, string> => ({
  PUSHER_HOST: '127.0.0.1',
  PUSHER_PORT: String(port),
  PUSHER_USE_TLS: 'false',
  PUSHER_APP_ID: PUSHER_APP.appId,
  PUSHER_APP_KEY: PUSHER_APP.key,
  PUSHER_APP_SECRET: PUSHER_APP.secret,
});

export interface PusherService {
  readonly port: number;
  /** Every event the service accepted, one entry per channel, in the order it accepted them (duplicates too). */
  readonly received: readonly PusherBroadcast[];
  close(): Promise<void>;
}

/**
 * A Pusher-compatible service on its own port, standing in for Pusher Channels or soketi: the same built-in
 * endpoint the server runs, without the rest of the server. It records what it accepts.
 */
export async function startPusherService(port = 0): Promise<PusherService> {
  const bus = new InProcessBus();
  const builtIn = await createBuiltInPusher(PUSHER_APP, bus, createLogger('silent'));
  const received: PusherBroadcast[] = [];
  await bus.subscribe('pusher-broadcast', (broadcast) => received.push(broadcast));
  const app = express();
  app.use(builtIn.routes);
  const server = http.createServer(app);
  server.on('upgrade', routeUpgrades([builtIn.sockets]));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    async close() {
      await builtIn.sockets.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port nothing listens on: connections to it are refused. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Decides, from a request's body, whether the proxy answers 500 instead of passing it on. */
export type FailRule = (body: string) => boolean;

/**
 * An HTTP front to a Pusher service that can be switched to answer 500, as a failing service would: for every
 * request (`failing`), or for those `failRequest` picks. A failed request never reaches the service.
 */
export async function startFlakyProxy(
  targetPort: number,
): Promise<{ port: number; failing: boolean; failRequest: FailRule; close(): Promise<void> }> {
  const state: { failing: boolean; failRequest: FailRule } = { failing: true, failRequest: () => false };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (state.failing || state.failRequest(body.toString())) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('Service unavailable for a while');
        return;
      }
      const upstream = http.request(
        { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get failing() {
      return state.failing;
    },
    set failing(value: boolean) {
      state.failing = value;
    },
    get failRequest() {
      return state.failRequest;
    },
    set failRequest(rule: FailRule) {
      state.failRequest = rule;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
