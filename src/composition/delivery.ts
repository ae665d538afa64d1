import type { Config } from '../config/config';
import type { Database } from '../database/database';
import { builtInPusherSink } from '../delivery/built-in-pusher-sink';
import { EventLog } from '../delivery/event-log';
import type { EventSink } from '../delivery/event-sink';
import { graphqlSink } from '../delivery/graphql-sink';
import { LogReader } from '../delivery/log-reader';
import { PusherFeed } from '../delivery/pusher-feed';
import { pusherFeedSink } from '../delivery/pusher-feed-sink';
import { BusWakeUp, LocalWakeUp, PgWakeUp, type WakeUp } from '../delivery/wake-up';
import type { SharedBus } from '../events/shared-bus';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics/metrics';
import type { PusherSocketServer } from '../realtime/pusher-endpoint/pusher-socket.server';
import type { PusherGateway } from '../realtime/pusher-gateway';
import type { RealtimePubSub } from '../realtime/topics';
import { onOutboxCommit } from '../subscribers/outbox-staging';
import type { Stops } from './stops';

const PRUNE_EVERY_MS = 10 * 60_000;

/**
 * Starts this instance's reader of the event log, which hands committed events to its own sockets (graphql-ws,
 * built-in Pusher), and, with an outside Pusher service, the feed that sends them there under a lease.
 */
export async function startDelivery(parts: {
  readonly database: Database;
  readonly bus: SharedBus;
  readonly pubSub: RealtimePubSub;
  readonly pusherSockets: PusherSocketServer | undefined;
  readonly gateway: PusherGateway;
  readonly metrics: Metrics;
  readonly config: Config;
  readonly logger: Logger;
  readonly stops: Stops;
}): Promise<LogReader> {
  const { database, bus, pubSub, pusherSockets, gateway, metrics, config, logger, stops } = parts;
  const { dataSource } = database;
  const log = new EventLog(dataSource);
  const outside = !config.pusher.builtIn;
  const sinks: EventSink[] = [graphqlSink(pubSub)];
  if (pusherSockets) sinks.push(builtInPusherSink(pusherSockets));
  if (outside) {
    const feed = new PusherFeed(dataSource, gateway, logger, {
      partitions: config.delivery.feedPartitions,
      leaseMs: config.delivery.feedLeaseMs,
      pollMs: config.delivery.pollMs,
      maxAttempts: config.outbox.maxAttempts,
      observer: metrics.relayObserver,
    });
    await feed.start();
    stops.add('Pusher service feed', () => feed.stop());
    sinks.push(pusherFeedSink(feed));
  } else {
    // A feed left by an earlier outside configuration would otherwise resend everything since, if it came back.
    await dataSource.query('DELETE FROM event_feed_partitions');
  }

  const wakeUp: WakeUp = config.redisUrl
    ? new BusWakeUp(bus)
    : database.embedded || config.databaseUrl === undefined
      ? new LocalWakeUp()
      : new PgWakeUp(dataSource, config.databaseUrl, logger);
  const observer = metrics.relayObserver;
  const reader = new LogReader(log, sinks, wakeUp, logger, {
    pollMs: config.delivery.pollMs,
    observe: (events) => {
      observer.delivered('graphql', events.length);
      const now = Date.now();
      for (const event of events) {
        if (event.createdAt) observer.lag('graphql', now - Date.parse(event.createdAt));
      }
    },
    chores: {
      everyMs: PRUNE_EVERY_MS,
      run: () => log.prune(config.outbox.retentionHours, outside),
    },
  });
  metrics.readBacklog(() => log.backlog(outside));
  onOutboxCommit(dataSource, () => reader.kick(true));
  await reader.start();
  stops.add('event log reader', () => reader.stop());
  return reader;
}
