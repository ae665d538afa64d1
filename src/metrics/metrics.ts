import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RelayObserver } from '../delivery/pusher-feed';
import { type OperationLabelLimits, OperationLabels } from './operation-labels';

export type SocketKind = 'graphql-ws' | 'pusher';

export interface OutboxBacklog {
  readonly pending: number;
  readonly oldestAgeSeconds: number;
}

/** The process's Prometheus metrics, in their own registry so tests can start several servers in one process. */
export class Metrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'graphql_http_requests_total',
    help: 'GraphQL HTTP requests by operation name and outcome (ok or the first error code).',
    labelNames: ['operation', 'outcome'],
    registers: [this.registry],
  });
  private readonly socketCounts = new Map<SocketKind, () => number>();
  private backlogSource: (() => Promise<OutboxBacklog>) | undefined;
  private readonly events = new Counter({
    name: 'outbox_events_total',
    help: 'Outbox events by sink and result (delivered, retried, dead).',
    labelNames: ['sink', 'result'],
    registers: [this.registry],
  });
  private readonly lagSeconds = new Histogram({
    name: 'outbox_relay_lag_seconds',
    help: "Seconds from an event's commit to its hand-over to a sink.",
    labelNames: ['sink'],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
    registers: [this.registry],
  });

  /** Reports to the metrics above; the relay takes it as its `observer`. */
  readonly relayObserver: RelayObserver = {
    delivered: (sink, count) => this.events.inc({ sink, result: 'delivered' }, count),
    retried: (sink, count) => this.events.inc({ sink, result: 'retried' }, count),
    dead: (sink, count) => this.events.inc({ sink, result: 'dead' }, count),
    lag: (sink, ms) => this.lagSeconds.observe({ sink }, ms / 1000),
  };

  private readonly operations: OperationLabels;

  constructor(operationLabels: OperationLabelLimits = { maxLength: 64, maxNames: 200 }) {
    this.operations = new OperationLabels(operationLabels);
    collectDefaultMetrics({ register: this.registry });
    const socketCounts = this.socketCounts;
    new Gauge({
      name: 'open_sockets',
      help: 'Open WebSockets by kind (graphql-ws, pusher).',
      labelNames: ['kind'],
      registers: [this.registry],
      collect() {
        for (const [kind, count] of socketCounts) this.set({ kind }, count());
      },
    });
    const backlog = async () => (this.backlogSource ? this.backlogSource() : undefined);
    let lastBacklog: Promise<OutboxBacklog | undefined> | undefined;
    // Both gauges read one query per scrape.
    const readBacklog = () =>
      (lastBacklog ??= backlog().finally(() => setImmediate(() => (lastBacklog = undefined))));
    new Gauge({
      name: 'outbox_backlog_events',
      help: 'Outbox events not yet handed to every sink.',
      registers: [this.registry],
      async collect() {
        const current = await readBacklog();
        if (current) this.set(current.pending);
      },
    });
    new Gauge({
      name: 'outbox_backlog_oldest_age_seconds',
      help: 'Age of the oldest pending outbox event (0 when none).',
      registers: [this.registry],
      async collect() {
        const current = await readBacklog();
        if (current) this.set(current.oldestAgeSeconds);
      },
    });
  }

  /**
   * Counts one GraphQL HTTP request: `resolved` says whether the document defined the operation that ran, `name` is
   * that operation's own name (never the client's `operationName` as sent).
   */
  request(resolved: boolean, name: string | null | undefined, outcome: string): void {
    this.requests.inc({ operation: this.operations.label(resolved, name), outcome });
  }

  /** Reads the open socket count of `kind` at scrape time. */
  countSockets(kind: SocketKind, count: () => number): void {
    this.socketCounts.set(kind, count);
  }

  /** Reads the outbox backlog at scrape time (e.g. `() => relay.backlog()`). */
  readBacklog(source: () => Promise<OutboxBacklog>): void {
    this.backlogSource = source;
  }
}
