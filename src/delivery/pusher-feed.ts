import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { RealtimeEvent } from '../events/realtime-event';
import type { Logger } from '../logger';
import { withTimeout } from '../timeout';
import { LOG_COLUMNS, type LogRow, toEvent } from './event-log';
import { fairShare, type PartitionPosition, repartition } from './feed-shares';

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
  /**
   * How many partitions (by recipient id) the work is split into; every instance must use the same number (one
   * that starts with another while instances with the old number are alive is refused).
   */
  readonly partitions: number;
  /**
   * How long a partition stays its owner's, and an instance counts as alive, without a renewal; then the others
   * take its partitions over.
   */
  readonly leaseMs: number;
  /** How often an instance looks for work without being woken (and renews, sheds or takes partitions). */
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
/** Instances start the feed one at a time: each checks the others' partition count and reshapes the table. */
const START_LOCK_KEY = 721400005;

/** An instance started with another PUSHER_FEED_PARTITIONS than the live ones: refused, as it would skip events. */
export class FeedPartitionsMismatchError extends Error {
  constructor(partitions: number, others: readonly { partitions: number; instances: number }[]) {
    const theirs = others
      .map((other) => `${other.partitions} on ${other.instances} live instance(s)`)
      .join(', ');
    super(
      `PUSHER_FEED_PARTITIONS is ${partitions} here but ${theirs}: every instance feeding the Pusher service must ` +
        'use the same number. To change it, stop every instance (a killed one counts as alive for ' +
        'PUSHER_FEED_LEASE_MS), then start them with the new number; positions carry over and nothing is skipped.',
    );
    this.name = 'FeedPartitionsMismatchError';
  }
}

const silentObserver: RelayObserver = {
  delivered: () => undefined,
  retried: () => undefined,
  dead: () => undefined,
  lag: () => undefined,
};

/**
 * Feeds the outside Pusher service from the event log. The work is split by recipient into partitions (so each
 * user's events go out in order), each a row of `event_feed_partitions` with its position and a lease. Every
 * instance renews a heartbeat row in `event_feed_instances` with its leases (at least once a poll) and aims at its
 * fair share of the partitions among the live ones (`fairShare`): above it, it releases the extra ones between two
 * batches; below it, it takes free or expired ones. It renews a lease with each batch too, and moves a position on
 * only after the service accepted the batch. A graceful stop releases its partitions at once; a frozen, partitioned
 * or killed owner costs at most `leaseMs` plus a poll; whatever an owner had sent but not yet recorded when it lost
 * a partition is sent again by the next owner (at least once). An event the service refuses
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
  /** The partitions this instance holds, as of its last balance or batch. */
  private readonly held = new Set<number>();
  private balancedAt = 0;
  private mismatchLogged = false;
  private readonly balanceEveryMs: number;
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
    // Well inside a lease, so a live instance never looks dead; at least once a poll, so a partition let go is
    // taken within one.
    this.balanceEveryMs = Math.min(options.pollMs, options.leaseMs / 3);
  }

  /** This instance's id in `event_feed_partitions.owner` and `event_feed_instances`. */
  get instanceId(): string {
    return this.owner;
  }

  /**
   * Refuses to start beside live instances with another partition count; else reshapes the table to this one's
   * count if it differs (see `repartition`), announces this instance, then feeds.
   */
  async start(): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [START_LOCK_KEY]);
      const others = (await manager.query(
        `SELECT partitions, count(*)::int AS instances FROM event_feed_instances
          WHERE alive_until > now() AND partitions <> $1 GROUP BY partitions ORDER BY partitions`,
        [this.options.partitions],
      )) as { partitions: number; instances: number }[];
      if (others.length > 0) throw new FeedPartitionsMismatchError(this.options.partitions, others);
      await manager.query('DELETE FROM event_feed_instances WHERE alive_until <= now()');
      const rows = (await manager.query(
        'SELECT partition_no AS partition, position::text FROM event_feed_partitions ORDER BY partition_no',
      )) as PartitionPosition[];
      if (rows.length !== this.options.partitions || rows.some((row, index) => row.partition !== index)) {
        await this.reshape(manager, rows);
      }
      await manager.query(
        `INSERT INTO event_feed_instances (instance_id, partitions, alive_until)
         VALUES ($1, $2, now() + make_interval(secs => $3))`,
        [this.owner, this.options.partitions, this.options.leaseMs / 1000],
      );
    });
    this.logger.info(
      { feedInstance: this.owner, partitions: this.options.partitions },
      'feeding the outside Pusher service',
    );
    this.stopped = false;
    this.kick();
  }

  /** A new table starts at the newest event; a changed count starts where no recipient's events are skipped. */
  private async reshape(manager: EntityManager, rows: readonly PartitionPosition[]): Promise<void> {
    let positions: string[];
    if (rows.length > 0) {
      positions = repartition(rows, this.options.partitions);
    } else {
      const [{ newest }] = (await manager.query(
        'SELECT coalesce(max(event_id), 0)::text AS newest FROM event_outbox',
      )) as { newest: string }[];
      positions = Array.from({ length: this.options.partitions }, () => newest);
    }
    await manager.query('DELETE FROM event_feed_partitions');
    await manager.query(
      `INSERT INTO event_feed_partitions (partition_no, position)
       SELECT ordinality - 1, position FROM unnest($1::bigint[]) WITH ORDINALITY AS p (position, ordinality)`,
      [positions],
    );
    if (rows.length > 0) {
      this.logger.warn(
        { from: rows.length, to: this.options.partitions },
        'the Pusher feed was repartitioned; events since the lowest position of a merged partition may come twice',
      );
    }
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

  /**
   * Stops, waits for a batch under way (not forever), and leaves at once: the others no longer count it and take
   * its partitions, from their recorded positions, within a poll.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.running) await withTimeout(this.running, STOP_TIMEOUT_MS).catch(() => undefined);
    await this.dataSource
      .query(
        `WITH gone AS (DELETE FROM event_feed_instances WHERE instance_id = $1)
         UPDATE event_feed_partitions SET owner = NULL, lease_until = now() WHERE owner = $1`,
        [this.owner],
      )
      .catch(() => undefined);
    this.held.clear();
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
        await this.balanceIfDue();
        for (const partition of [...this.held].sort((a, b) => a - b)) {
          if (this.stopped) return;
          // A balance during an earlier partition's batches may have released this one.
          if (!this.held.has(partition)) continue;
          if (Date.now() < this.state(partition).blockedUntil) continue;
          await this.feed(partition);
        }
      } while (this.again && !this.stopped);
    } catch (error) {
      if (!this.stopped) this.logger.error({ err: error }, 'feeding the Pusher service failed; retrying');
    }
  }

  private async balanceIfDue(): Promise<void> {
    if (Date.now() - this.balancedAt >= this.balanceEveryMs) await this.balance();
  }

  /**
   * Renews this instance's heartbeat and leases, then moves towards its fair share among the live instances:
   * takes free or expired partitions up to it, or releases the ones above it (their positions stay, so the next
   * owner goes on from the last batch the service accepted). Called only between batches.
   */
  private async balance(): Promise<void> {
    this.balancedAt = Date.now();
    const { partitions, leaseMs } = this.options;
    const [{ live, partition_rows: rows }] = (await this.dataSource.query(
      `WITH beat AS (
         INSERT INTO event_feed_instances (instance_id, partitions, alive_until)
         SELECT $1, $2::int, now() + make_interval(secs => $3)
          WHERE (SELECT count(*)::int FROM event_feed_partitions) = $2
         ON CONFLICT (instance_id) DO UPDATE SET alive_until = excluded.alive_until
         RETURNING instance_id, started_at)
       SELECT ARRAY(SELECT instance_id FROM (
                SELECT instance_id, started_at FROM event_feed_instances
                 WHERE alive_until > now() AND partitions = $2::int AND instance_id <> $1
                UNION ALL SELECT instance_id, started_at FROM beat) AS l
               ORDER BY started_at, instance_id) AS live,
              (SELECT count(*)::int FROM event_feed_partitions) AS partition_rows`,
      [this.owner, partitions, leaseMs / 1000],
    )) as { live: string[]; partition_rows: number }[];
    if (rows !== partitions) {
      // Another count took the table over while this instance looked dead: it must not count as live, or the
      // others would leave its share unfed.
      await this.dataSource.query('DELETE FROM event_feed_instances WHERE instance_id = $1', [this.owner]);
      this.held.clear();
      if (!this.mismatchLogged) {
        this.logger.error(
          { partitions, inTable: rows },
          'the Pusher feed has another partition count now; this instance feeds nothing until restarted with it',
        );
      }
      this.mismatchLogged = true;
      return;
    }
    this.mismatchLogged = false;
    const share = fairShare(partitions, live, this.owner);
    // Renewal and taking in one statement: the rows each part sees are disjoint (ours, and others' or free).
    const owned = (await this.dataSource.query(
      `WITH renewed AS (
         UPDATE event_feed_partitions SET lease_until = now() + make_interval(secs => $2)
          WHERE owner = $1 RETURNING partition_no, position),
       taken AS (
         UPDATE event_feed_partitions SET owner = $1, lease_until = now() + make_interval(secs => $2)
          WHERE partition_no IN (
                  SELECT partition_no FROM event_feed_partitions
                   WHERE (owner IS NULL OR (owner <> $1 AND lease_until < now()))
                   ORDER BY partition_no
                   LIMIT greatest(0, $3::int - (SELECT count(*)::int FROM event_feed_partitions WHERE owner = $1))
                   FOR UPDATE SKIP LOCKED)
          RETURNING partition_no, position)
       SELECT partition_no, position::text FROM renewed UNION ALL SELECT partition_no, position::text FROM taken`,
      [this.owner, leaseMs / 1000, share],
    )) as { partition_no: number; position: string }[];
    this.held.clear();
    for (const row of owned) {
      this.held.add(row.partition_no);
      this.state(row.partition_no).position = row.position;
    }
    if (this.held.size > share) {
      const extra = [...this.held].sort((a, b) => b - a).slice(0, this.held.size - share);
      await this.dataSource.query(
        `UPDATE event_feed_partitions SET owner = NULL, lease_until = now()
          WHERE owner = $1 AND partition_no = ANY($2::int[])`,
        [this.owner, extra],
      );
      for (const partition of extra) {
        this.held.delete(partition);
        this.states.delete(partition);
      }
    }
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
    if (count !== 1) this.held.delete(partition);
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

  /**
   * Sends a partition's events after its position until it is caught up, blocked by a failure, lost, or released
   * by a balance between two batches.
   */
  private async feed(partition: number): Promise<void> {
    const state = this.state(partition);
    while (!this.stopped) {
      await this.balanceIfDue();
      if (!this.held.has(partition)) return;
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
