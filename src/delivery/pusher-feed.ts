import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { RealtimeEvent } from '../events/realtime-event';
import type { Logger } from '../logger';
import { withTimeout } from '../timeout';
import { LOG_COLUMNS, type LogRow, toEvent } from './event-log';

/** What a Pusher delivery attempt came to. */
export type PushOutcome =
  | { readonly delivered: true }
  | { readonly delivered: false; readonly retry: boolean; readonly error: string };

/** The outside Pusher service, as the feed sees it. */
export interface PusherTarget {
  push(events: readonly RealtimeEvent[]): Promise<PushOutcome>;
  /** How many channel deliveries one Pusher request may carry. */
  readonly maxPushEntries: number;
}

export type RelaySink = 'graphql' | 'pusher';

/** Hooks for metrics; the delivery calls them and never depends on what they do. */
export interface RelayObserver {
  delivered(sink: RelaySink, count: number): void;
  retried(sink: RelaySink, count: number): void;
  dead(sink: RelaySink, count: number): void;
  /** Milliseconds from an event's commit to its hand-over to a sink. */
  lag(sink: RelaySink, ms: number): void;
}

export interface PusherFeedOptions {
  /** How many partitions (by recipient id) the work is split into; every instance must use the same number. */
  readonly partitions: number;
  /** How long a partition stays its owner's without a renewal; then any instance takes it over. */
  readonly leaseMs: number;
  /** How often an instance looks for work without being woken (and for partitions whose lease expired). */
  readonly pollMs: number;
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Pusher attempts of one event before it is set aside as dead (default 10). */
  readonly maxAttempts?: number;
  readonly observer?: RelayObserver;
}

/** A log row as one partition sends it: only the recipients of the partition. */
interface FeedRow extends LogRow {
  readonly attempts: number;
  readonly dead: boolean;
}

/** Each partition waits out its own failures. */
interface PartitionState {
  /** The last event id recorded as sent. */
  position: string;
  blockedUntil: number;
  backoffMs: number;
  /** After a failed batch, events go one at a time until one succeeds, to find the one that fails. */
  singly: boolean;
}

const PUSH_BATCH = 100;
/** Rows looked at per read: a partition's position moves past other partitions' events in windows this big. */
const SCAN_WINDOW = 1000;
const STOP_TIMEOUT_MS = 5000;

const silentObserver: RelayObserver = {
  delivered: () => undefined,
  retried: () => undefined,
  dead: () => undefined,
  lag: () => undefined,
};

/**
 * Feeds the outside Pusher service from the event log. The work is split by recipient into partitions (so each
 * user's events go out in order), each a row of `event_feed_partitions` with its position and a lease: an instance
 * takes every partition whose lease expired, renews its own with each batch, and moves a position on only after
 * the service accepted the batch. A frozen or partitioned owner costs at most `leaseMs` plus a poll; whatever it
 * had sent but not yet recorded is sent again by the next owner (at least once). An event the service refuses
 * (4xx), or that fails `maxAttempts` times while the next one gets through, is set aside as dead (`dead_at`), so
 * it never holds back the later ones; an outage only delays.
 */
export class PusherFeed {
  private readonly owner = randomUUID();
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private readonly states = new Map<number, PartitionState>();
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxAttempts: number;
  private readonly observer: RelayObserver;

  constructor(
    private readonly dataSource: DataSource,
    private readonly target: PusherTarget,
    private readonly logger: Logger,
    private readonly options: PusherFeedOptions,
  ) {
    this.minBackoffMs = options.minBackoffMs ?? 250;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.maxAttempts = options.maxAttempts ?? 10;
    this.observer = options.observer ?? silentObserver;
  }

  /** Makes sure every partition has its row (a new one starts where the slowest stands), then feeds. */
  async start(): Promise<void> {
    // Fewer partitions than before: the ones left start where the dropped ones stood, so nothing is skipped.
    await this.dataSource.query(
      `WITH dropped AS (DELETE FROM event_feed_partitions WHERE partition_no >= $1 RETURNING position)
       UPDATE event_feed_partitions AS p SET position = least(p.position, d.low)
         FROM (SELECT min(position) AS low FROM dropped) AS d WHERE d.low IS NOT NULL`,
      [this.options.partitions],
    );
    await this.dataSource.query(
      `INSERT INTO event_feed_partitions (partition_no, position)
       SELECT g, coalesce((SELECT min(p.position) FROM event_feed_partitions AS p),
                          (SELECT max(event_id) FROM event_outbox), 0)
         FROM generate_series(0, $1 - 1) AS g
       ON CONFLICT (partition_no) DO NOTHING`,
      [this.options.partitions],
    );
    this.stopped = false;
    this.kick();
  }

  /** Feeds as soon as possible; calls during a round make it go round once more. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
      this.schedule(this.options.pollMs);
    });
  }

  /** Stops, waits for a batch under way (not forever), and hands its partitions back at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.running) await withTimeout(this.running, STOP_TIMEOUT_MS).catch(() => undefined);
    await this.dataSource
      .query('UPDATE event_feed_partitions SET lease_until = now() WHERE owner = $1', [this.owner])
      .catch(() => undefined);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), ms);
    this.timer.unref();
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        for (const [partition, position] of await this.claim()) {
          if (this.stopped) return;
          if (Date.now() < this.state(partition).blockedUntil) continue;
          await this.feed(partition, position);
        }
      } while (this.again && !this.stopped);
    } catch (error) {
      if (!this.stopped) this.logger.error({ err: error }, 'feeding the Pusher service failed; retrying');
    }
  }

  /** Renews this instance's leases and takes every expired one; the partitions now ours, with their positions. */
  private async claim(): Promise<Map<number, string>> {
    const rows = (await this.dataSource.query(
      `UPDATE event_feed_partitions SET owner = $1, lease_until = now() + make_interval(secs => $2)
        WHERE partition_no IN (SELECT partition_no FROM event_feed_partitions
                                WHERE owner = $1 OR lease_until < now() FOR UPDATE SKIP LOCKED)
        RETURNING partition_no, position::text`,
      [this.owner, this.options.leaseMs / 1000],
    )) as [{ partition_no: number; position: string }[], number];
    return new Map(rows[0].map((row) => [row.partition_no, row.position]));
  }

  /** Records what the service accepted and renews the lease; false when another instance took the partition. */
  private async advance(partition: number, position: string): Promise<boolean> {
    const [, count] = (await this.dataSource.query(
      `UPDATE event_feed_partitions SET position = greatest(position, $3::bigint),
              lease_until = now() + make_interval(secs => $4)
        WHERE partition_no = $1 AND owner = $2`,
      [partition, this.owner, position, this.options.leaseMs / 1000],
    )) as [unknown, number];
    const state = this.state(partition);
    if (BigInt(position) > BigInt(state.position)) state.position = position;
    return count === 1;
  }

  /** The next rows after `position`, each with only this partition's recipients (none: not its business). */
  private async read(partition: number, position: string): Promise<FeedRow[]> {
    return (await this.dataSource.query(
      `SELECT ${LOG_COLUMNS.replace('recipient_ids', `ARRAY(SELECT r FROM unnest(recipient_ids) AS r WHERE r % $3 = $2) AS recipient_ids`)},
              attempts, dead_at IS NOT NULL AS dead
         FROM event_outbox WHERE event_id > $1 ORDER BY event_id LIMIT $4`,
      [position, partition, this.options.partitions, SCAN_WINDOW],
    )) as FeedRow[];
  }

  /** Sends a partition's events after its position until it is caught up, blocked by a failure, or lost. */
  private async feed(partition: number, from: string): Promise<void> {
    const state = this.state(partition);
    state.position = from;
    while (!this.stopped) {
      const window = await this.read(partition, state.position);
      if (window.length === 0) return;
      const mine = window.filter((row) => row.recipient_ids.length > 0 && !row.dead);
      const batch = mine.slice(0, state.singly ? 1 : PUSH_BATCH);
      const outcome = await this.send(partition, batch);
      if (outcome !== 'sent') {
        if (outcome === 'again') continue;
        return;
      }
      // Everything up to the end of the window is sent now, or not this partition's.
      if (batch.length === mine.length) {
        if (!(await this.advance(partition, window[window.length - 1].event_id))) return;
        if (window.length < SCAN_WINDOW) return;
      }
    }
  }

  /**
   * Pushes a batch in requests of at most `maxPushEntries` channel deliveries, recording each accepted one:
   * 'sent' when all went, 'again' to go on one at a time, 'blocked' when the partition must wait, 'lost' when its
   * lease went to another instance.
   */
  private async send(partition: number, batch: FeedRow[]): Promise<'sent' | 'again' | 'blocked' | 'lost'> {
    const state = this.state(partition);
    for (const group of this.requestGroups(batch)) {
      const outcome = await this.target.push(group.map(toEvent));
      if (outcome.delivered) {
        state.singly = false;
        state.backoffMs = this.minBackoffMs;
        this.succeeded(group);
        if (!(await this.advance(partition, group[group.length - 1].event_id))) return 'lost';
        continue;
      }
      if (group.length > 1) {
        // One of them may be the culprit: try them one at a time, without counting this against any.
        state.singly = true;
        if (!outcome.retry) return 'again';
        this.failed(partition, group.length, outcome.error);
        return 'blocked';
      }
      const [row] = group;
      const attempts = row.attempts + 1;
      if (outcome.retry && (attempts < this.maxAttempts || !(await this.othersGetThrough(partition, row)))) {
        await this.dataSource.query('UPDATE event_outbox SET attempts = $2 WHERE event_id = $1', [
          row.event_id,
          attempts,
        ]);
        this.failed(partition, 1, outcome.error);
        return 'blocked';
      }
      if (outcome.retry) return 'again'; // set aside by othersGetThrough, the next one sent
      await this.setAside(partition, row, attempts, outcome.error, false);
      if (!(await this.advance(partition, row.event_id))) return 'lost';
    }
    return 'sent';
  }

  private async setAside(
    partition: number,
    row: FeedRow,
    attempts: number,
    error: string,
    failing: boolean,
  ): Promise<void> {
    await this.dataSource.query(
      'UPDATE event_outbox SET attempts = $2, dead_at = now() WHERE event_id = $1',
      [row.event_id, attempts],
    );
    this.logger.error(
      { eventId: row.event_id, eventName: row.event_name, attempts, error },
      failing
        ? 'Pusher delivery kept failing; the event is set aside as dead'
        : 'Pusher refused the event; it is set aside as dead',
    );
    this.observer.dead('pusher', 1);
    this.state(partition).backoffMs = this.minBackoffMs;
  }

  /**
   * Before an event that keeps failing is given up, the next one of its partition is tried alone: only if it gets
   * through is the failure the event's own. Otherwise the service is down, and an outage must delay events, never
   * kill them. The next one counts as sent once the failing one is set aside.
   */
  private async othersGetThrough(partition: number, row: FeedRow): Promise<boolean> {
    const next = (await this.read(partition, row.event_id)).find(
      (candidate) => candidate.recipient_ids.length > 0 && !candidate.dead,
    );
    if (next === undefined) return false;
    const outcome = await this.target.push([toEvent(next)]);
    if (!outcome.delivered) return false;
    this.succeeded([next]);
    await this.setAside(partition, row, row.attempts + 1, 'failed while later events got through', true);
    await this.advance(partition, next.event_id);
    return true;
  }

  private state(partition: number): PartitionState {
    let state = this.states.get(partition);
    if (!state) {
      state = { position: '0', blockedUntil: 0, backoffMs: this.minBackoffMs, singly: false };
      this.states.set(partition, state);
    }
    return state;
  }

  private succeeded(rows: readonly FeedRow[]): void {
    this.observer.delivered('pusher', rows.length);
    const now = Date.now();
    for (const row of rows) this.observer.lag('pusher', now - new Date(row.created_at).getTime());
  }

  private failed(partition: number, count: number, error: unknown): void {
    const state = this.state(partition);
    this.observer.retried('pusher', count);
    this.logger.warn(
      { partition, err: error, retryInMs: state.backoffMs },
      'Pusher delivery failed; will retry',
    );
    state.blockedUntil = Date.now() + state.backoffMs;
    this.schedule(Math.min(state.backoffMs, this.options.pollMs));
    state.backoffMs = Math.min(state.backoffMs * 2, this.maxBackoffMs);
  }

  /** Consecutive rows packed into requests of at most `maxPushEntries` channel deliveries each. */
  private requestGroups(rows: FeedRow[]): FeedRow[][] {
    const groups: FeedRow[][] = [];
    let entries = Infinity;
    for (const row of rows) {
      const size = row.recipient_ids.length;
      if (entries + size > this.target.maxPushEntries) {
        groups.push([]);
        entries = 0;
      }
      groups[groups.length - 1].push(row);
      entries += size;
    }
    return groups;
  }
}
