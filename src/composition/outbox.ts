import type { Config } from '../config/config';
import type { Database } from '../database/database';
import { OutboxRelay } from '../events/outbox-relay';
import type { SharedBus } from '../events/shared-bus';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics/metrics';
import type { PusherGateway } from '../realtime/pusher-gateway';
import { onOutboxCommit } from '../subscribers/outbox-staging';
import type { Stops } from './stops';

/** Starts the relay that delivers committed events to GraphQL subscribers (over the bus) and to Pusher. */
export function startOutboxRelay(parts: {
  readonly database: Database;
  readonly bus: SharedBus;
  readonly gateway: PusherGateway;
  readonly metrics: Metrics;
  readonly config: Config;
  readonly logger: Logger;
  readonly stops: Stops;
}): void {
  const { database, bus, gateway, metrics, config, logger, stops } = parts;
  const relay = new OutboxRelay(
    database.dataSource,
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
  onOutboxCommit(database.dataSource, () => relay.kick());
  relay.start();
  stops.add('outbox relay', () => relay.stop());
}
