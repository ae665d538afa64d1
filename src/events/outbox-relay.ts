import type { DataSource, QueryRunner } from 'typeorm';
import type { Logger } from '../logger';
import { withTimeout } from '../timeout';
import { REPLAYABLE_EVENT_NAMES, type RealtimeEvent, type RealtimeEventName } from './realtime-event';

/** What a Pusher delivery attempt came to. */
export type PushOutcome =
  | { readonly delivered: true }
  | { readonly delivered: false; readonly retry: boolean; readonly error: string };

/** Where committed events go: GraphQL subscribers of every instance, and the Pusher service. */
export interface EventSinks {
  publish(events: readonly RealtimeEvent[]): Promise<void>;
  push(events: readonly RealtimeEvent[]): Promise<PushOutcome>;
  /** How many channel deliveries one Pusher request may carry. */
  readonly maxPushEntries: number;
}

export type RelaySink = 'graphql' | 'pusher';

/** Hooks for metrics; the relay calls them and never depends on what they do. */
export interface RelayObserver {
  delivered(sink: RelaySink, count: number): void;
  retried(sink: RelaySink, count: number): void;
  dead(sink: RelaySink, count: number): void;
  /** Milliseconds from an event's commit to its hand-over to a sink. */
  lag(sink: RelaySink, ms: number): void;
}

export interface OutboxRelayOptions {
  /** Shared database: only one instance at a time drains, so each event is triggered once and in order. */
  readonly exclusive: boolean;
  readonly pollMs?: number;
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Pusher attempts of one event before it is set aside as dead (default 10). */
  readonly maxAttempts?: number;
  /** How long delivered rows are kept before pruning (default 72). */
  readonly retentionHours?: number;
  readonly observer?: RelayObserver;
}

/** One outbox row as the relay's own queries return it. */
interface OutboxRow {
  readonly event_id: string;
  readonly event_name: string;
  readonly recipient_ids: number[];
  readonly payload: string;
  readonly attempts: number;
  readonly created_at: Date;
}

/** Each sink waits out its own failures, so one that is down never holds back the other. */
interface SinkState {
  blockedUntil: number;
  backoffMs: number;
}

// Any constant shared by every instance of this server.
const DRAIN_LOCK_KEY = 721_400_002;
const READ_BATCH = 100;
const LOCK_RETRY_MS = 100;
const STOP_TIMEOUT_MS = 5000;
const PRUNE_EVERY_MS = 10 * 60_000;
const COLUMNS = 'event_id, event_name, recipient_ids, payload, attempts, created_at';

const toEvent = (row: OutboxRow): RealtimeEvent => ({
  id: row.event_id,
  name: row.event_name as RealtimeEventName,
  recipientIds: row.recipient_ids,
  payload: row.payload,
  createdAt: new Date(row.created_at).toISOString(),
});

const idsOf = (rows: readonly OutboxRow[]): string[] => rows.map((row) => row.event_id);

const silentObserver: RelayObserver = {
  delivered: () => undefined,
  retried: () => undefined,
  dead: () => undefined,
  lag: () => undefined,
};

/**
 * Delivers the outbox to two sinks that progress independently, each in event-id order with its own backoff.
 * GraphQL: a batch is claimed and marked in one statement before it is published, and what a failed publish did
 * not hand over is unmarked, so no event reaches a subscriber twice. Pusher: an event is marked once accepted; a
 * failing batch is retried one event at a time, and an event refused (4xx), or failing `maxAttempts` times while
 * the next one gets through, is set aside as dead, so it never holds back the later ones. Delivered rows are kept `retentionHours`, then pruned.
 */
export class OutboxRelay {
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private dueAt = 0;
  private nextPruneAt = 0;
  /** After a failed Pusher batch, events go one at a time until one succeeds, to find the one that fails. */
  private pushSingly = false;
  private readonly sinkState: Record<RelaySink, SinkState>;
  private readonly pollMs: number;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxAttempts: number;
  private readonly retentionHours: number;
  private readonly observer: RelayObserver;
  /** Where the relay's statements go: the drain lock's connection while it holds one, else the pool. */
  private db: Pick<DataSource, 'query'>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly sinks: EventSinks,
    private readonly logger: Logger,
    private readonly options: OutboxRelayOptions,
  ) {
    this.pollMs = options.pollMs ?? 1000;
    this.minBackoffMs = options.minBackoffMs ?? 250;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.maxAttempts = options.maxAttempts ?? 10;
    this.retentionHours = options.retentionHours ?? 72;
    this.observer = options.observer ?? silentObserver;
    this.db = dataSource;
    this.sinkState = {
      graphql: { blockedUntil: 0, backoffMs: this.minBackoffMs },
      pusher: { blockedUntil: 0, backoffMs: this.minBackoffMs },
    };
  }

  /** Starts polling (events committed by other instances, or left by a crash) and drains at once. */
  start(): void {
    this.stopped = false;
    this.kick();
  }

  /** Drains as soon as possible; calls during a drain make it go round once more. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
      this.schedule(this.pollMs);
    });
  }

  /** Stops polling and waits for a drain under way, but not forever: shutdown must not hang on a lost database. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running) await withTimeout(this.running, STOP_TIMEOUT_MS).catch(() => undefined);
  }

  /** Events some sink still waits for, and the age of the oldest. */
  async backlog(): Promise<{ pending: number; oldestAgeSeconds: number }> {
    const [row] = (await this.dataSource.query(
      `SELECT count(*)::int AS pending,
              coalesce(extract(epoch FROM now() - min(created_at)), 0)::float AS age
         FROM event_outbox
        WHERE published_at IS NULL OR (pushed_at IS NULL AND dead_at IS NULL)`,
    )) as { pending: number; age: number }[];
    return { pending: row.pending, oldestAgeSeconds: row.age };
  }

  /**
   * Deletes rows both sinks are done with for longer than the retention period, and records per recipient the
   * newest replayable one deleted, so a resume from before it answers CURSOR_EXPIRED; returns how many.
   */
  async prune(): Promise<number> {
    const [{ count }] = (await this.db.query(
      `WITH pruned AS (
         DELETE FROM event_outbox
          WHERE published_at IS NOT NULL
            AND coalesce(pushed_at, dead_at) < now() - make_interval(hours => $1)
         RETURNING event_id, event_name, recipient_ids),
       marked AS (
         INSERT INTO event_retention_marks (user_id, pruned_through)
         SELECT recipient, max(event_id) FROM pruned, unnest(recipient_ids) AS recipient
          WHERE event_name = ANY($2) GROUP BY recipient
         ON CONFLICT (user_id) DO UPDATE
            SET pruned_through = greatest(event_retention_marks.pruned_through, EXCLUDED.pruned_through))
       SELECT count(*)::int AS count FROM pruned`,
      [this.retentionHours, REPLAYABLE_EVENT_NAMES],
    )) as { count: number }[];
    return count;
  }

  /** Plans the next drain in `ms`, unless one is already planned sooner. */
  private schedule(ms: number): void {
    if (this.stopped) return;
    const dueAt = Date.now() + ms;
    if (this.timer !== undefined && this.dueAt <= dueAt) return;
    clearTimeout(this.timer);
    this.dueAt = dueAt;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, ms);
    this.timer.unref();
  }

  private async loop(): Promise<void> {
    let lock: QueryRunner | undefined;
    try {
      if (this.options.exclusive) {
        lock = await this.tryLock();
        if (lock === undefined) {
          // Another instance is draining and may have read its last batch before our commit: look again soon.
          this.schedule(LOCK_RETRY_MS);
          return;
        }
      }
      // While commits keep kicking, drains follow one another under the same lock and on its connection: no lock
      // round trips between them, and no wait behind requests for a pooled connection.
      this.db = lock ?? this.dataSource;
      do {
        this.again = false;
        await this.drain();
      } while (this.again && !this.stopped);
    } catch (error) {
      if (this.stopped) return;
      this.logger.error({ err: error }, 'outbox relay failed; retrying');
      this.again = false;
      this.schedule(Math.min(1000, this.maxBackoffMs));
    } finally {
      this.db = this.dataSource;
      if (lock) await this.unlock(lock);
    }
  }

  private async drain(): Promise<void> {
    // A batch of each in turn, so a steady stream of new writes cannot starve either sink. A round goes on only
    // while a sink may have more waiting (a full batch): a commit during the drain kicks it again anyway.
    while (!this.stopped) {
      const published = this.ready('graphql') && (await this.publishBatch());
      const pushed = this.ready('pusher') && (await this.pushBatch());
      if (!published && !pushed) break;
    }
    if (!this.stopped && Date.now() >= this.nextPruneAt) {
      this.nextPruneAt = Date.now() + PRUNE_EVERY_MS;
      await this.prune();
    }
  }

  private ready(sink: RelaySink): boolean {
    return Date.now() >= this.sinkState[sink].blockedUntil;
  }

  private succeeded(sink: RelaySink, rows: readonly OutboxRow[]): void {
    this.sinkState[sink].backoffMs = this.minBackoffMs;
    if (rows.length === 0) return;
    this.observer.delivered(sink, rows.length);
    const now = Date.now();
    for (const row of rows) this.observer.lag(sink, now - new Date(row.created_at).getTime());
  }

  private failed(sink: RelaySink, count: number, error: unknown): void {
    const state = this.sinkState[sink];
    this.observer.retried(sink, count);
    this.logger.warn({ sink, err: error, retryInMs: state.backoffMs }, 'outbox delivery failed; will retry');
    state.blockedUntil = Date.now() + state.backoffMs;
    this.schedule(state.backoffMs);
    state.backoffMs = Math.min(state.backoffMs * 2, this.maxBackoffMs);
  }

  /** Claims and marks the oldest unpublished events, then publishes them; true when more may be waiting. */
  private async publishBatch(): Promise<boolean> {
    const [claimed] = (await this.db.query(
      `UPDATE event_outbox SET published_at = now()
        WHERE event_id IN (SELECT event_id FROM event_outbox WHERE published_at IS NULL
                            ORDER BY event_id LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING ${COLUMNS}`,
      [READ_BATCH],
    )) as [OutboxRow[], number];
    if (claimed.length === 0) return false;
    // RETURNING does not keep the subquery's order.
    const rows = [...claimed].sort((a, b) => Number(BigInt(a.event_id) - BigInt(b.event_id)));
    let handedOver = 0;
    try {
      for (const row of rows) {
        await this.sinks.publish([toEvent(row)]);
        handedOver += 1;
      }
    } catch (error) {
      const left = rows.slice(handedOver);
      await this.db.query('UPDATE event_outbox SET published_at = NULL WHERE event_id = ANY($1)', [
        idsOf(left),
      ]);
      this.succeeded('graphql', rows.slice(0, handedOver));
      this.failed('graphql', left.length, error);
      return handedOver > 0;
    }
    this.succeeded('graphql', rows);
    return rows.length === READ_BATCH;
  }

  /** Sends the oldest undelivered events to Pusher; true when more may be waiting and delivery need not wait. */
  private async pushBatch(): Promise<boolean> {
    const limit = this.pushSingly ? 1 : READ_BATCH;
    const rows = (await this.db.query(
      `SELECT ${COLUMNS} FROM event_outbox WHERE pushed_at IS NULL AND dead_at IS NULL
        ORDER BY event_id LIMIT $1`,
      [limit],
    )) as OutboxRow[];
    if (rows.length === 0) return false;
    for (const group of this.requestGroups(rows)) {
      const outcome = await this.sinks.push(group.map(toEvent));
      if (outcome.delivered) {
        await this.db.query('UPDATE event_outbox SET pushed_at = now() WHERE event_id = ANY($1)', [
          idsOf(group),
        ]);
        this.pushSingly = false;
        this.succeeded('pusher', group);
        continue;
      }
      if (group.length > 1) {
        // One of them may be the culprit: try them one at a time, without counting this against any.
        this.pushSingly = true;
        if (outcome.retry) this.failed('pusher', group.length, outcome.error);
        return !outcome.retry;
      }
      const [row] = group;
      const attempts = row.attempts + 1;
      if (outcome.retry && (attempts < this.maxAttempts || !(await this.othersGetThrough(row)))) {
        await this.db.query('UPDATE event_outbox SET attempts = $2 WHERE event_id = $1', [
          row.event_id,
          attempts,
        ]);
        this.failed('pusher', 1, outcome.error);
        return false;
      }
      await this.db.query('UPDATE event_outbox SET attempts = $2, dead_at = now() WHERE event_id = $1', [
        row.event_id,
        attempts,
      ]);
      this.logger.error(
        { eventId: row.event_id, eventName: row.event_name, attempts, error: outcome.error },
        outcome.retry
          ? 'Pusher delivery kept failing; the event is set aside as dead'
          : 'Pusher refused the event; it is set aside as dead',
      );
      this.observer.dead('pusher', 1);
      this.sinkState.pusher.backoffMs = this.minBackoffMs;
    }
    // After a batch pushed singly, the rest waits to go as batches again.
    return rows.length === limit || limit === 1;
  }

  /**
   * Before an event that keeps failing is given up, the next one is tried alone: only if it gets through is the
   * failure the event's own. Otherwise the service is down, and an outage must delay events, never kill them.
   */
  private async othersGetThrough(row: OutboxRow): Promise<boolean> {
    const [next] = (await this.db.query(
      `SELECT ${COLUMNS} FROM event_outbox WHERE pushed_at IS NULL AND dead_at IS NULL AND event_id > $1
        ORDER BY event_id LIMIT 1`,
      [row.event_id],
    )) as OutboxRow[];
    if (next === undefined) return false;
    const outcome = await this.sinks.push([toEvent(next)]);
    if (!outcome.delivered) return false;
    await this.db.query('UPDATE event_outbox SET pushed_at = now() WHERE event_id = $1', [next.event_id]);
    this.succeeded('pusher', [next]);
    return true;
  }

  /** Consecutive rows packed into requests of at most `maxPushEntries` channel deliveries each. */
  private requestGroups(rows: OutboxRow[]): OutboxRow[][] {
    const groups: OutboxRow[][] = [];
    let entries = Infinity;
    for (const row of rows) {
      const size = row.recipient_ids.length;
      if (entries + size > this.sinks.maxPushEntries) {
        groups.push([]);
        entries = 0;
      }
      groups[groups.length - 1].push(row);
      entries += size;
    }
    return groups;
  }

  private async tryLock(): Promise<QueryRunner | undefined> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    const [{ locked }] = (await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [
      DRAIN_LOCK_KEY,
    ])) as {
      locked: boolean;
    }[];
    if (locked) return runner;
    await runner.release();
    return undefined;
  }

  /** Never throws: a lost connection releases the lock with it, and the relay must go on polling. */
  private async unlock(runner: QueryRunner): Promise<void> {
    try {
      await runner.query('SELECT pg_advisory_unlock($1)', [DRAIN_LOCK_KEY]);
    } catch (error) {
      this.logger.warn({ err: error }, 'could not release the outbox drain lock; its connection is dropped');
    } finally {
      await runner.release().catch(() => undefined);
    }
  }
}
