import { type DataSource, In, IsNull, Not, type QueryRunner } from 'typeorm';
import { OutboxEvent } from '../entities/outbox-event';
import type { Logger } from '../logger';
import { withTimeout } from '../timeout';
import type { RealtimeEvent, RealtimeEventName } from './realtime-event';

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

export interface OutboxRelayOptions {
  /** Shared database: only one instance at a time drains, so each event is triggered once and in order. */
  readonly exclusive: boolean;
  readonly pollMs?: number;
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

// Any constant shared by every instance of this server.
const DRAIN_LOCK_KEY = 721_400_002;
const READ_BATCH = 100;
const LOCK_RETRY_MS = 100;
const STOP_TIMEOUT_MS = 5000;

const toEvent = (row: OutboxEvent): RealtimeEvent => ({
  id: row.id,
  name: row.name as RealtimeEventName,
  recipientIds: row.recipientIds,
  payload: row.payload,
});

/**
 * Delivers the outbox: first to GraphQL subscribers (marking each row, so a Pusher retry never repeats them),
 * then to Pusher in id order, deleting what was delivered. A Pusher failure holds back the later events (to keep
 * their order) and is retried with backoff; a refusal (4xx) is logged with the event and dropped.
 */
export class OutboxRelay {
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private dueAt = 0;
  private pushBlockedUntil = 0;
  private backoffMs: number;
  private readonly pollMs: number;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly sinks: EventSinks,
    private readonly logger: Logger,
    private readonly options: OutboxRelayOptions,
  ) {
    this.pollMs = options.pollMs ?? 1000;
    this.minBackoffMs = options.minBackoffMs ?? 250;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.backoffMs = this.minBackoffMs;
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
    do {
      this.again = false;
      try {
        await this.drain();
      } catch (error) {
        if (this.stopped) return;
        this.logger.error({ err: error }, 'outbox relay failed; retrying');
        this.again = false;
        this.schedule(this.backoffMs);
        return;
      }
    } while (this.again && !this.stopped);
  }

  private async drain(): Promise<void> {
    const lock = this.options.exclusive ? await this.tryLock() : undefined;
    if (this.options.exclusive && lock === undefined) {
      // Another instance is draining and may have read its last batch before our commit: look again soon.
      this.schedule(LOCK_RETRY_MS);
      return;
    }
    try {
      // A batch of each in turn, so a steady stream of new writes cannot starve Pusher delivery.
      while (!this.stopped) {
        const published = await this.publishBatch();
        const pushed = Date.now() >= this.pushBlockedUntil && (await this.pushBatch());
        if (!published && !pushed) break;
      }
    } finally {
      if (lock) await this.unlock(lock);
    }
  }

  /** Sends unpublished events to GraphQL subscribers; false when there were none. */
  private async publishBatch(): Promise<boolean> {
    const repository = this.dataSource.getRepository(OutboxEvent);
    const rows = await repository.find({
      where: { publishedAt: IsNull() },
      order: { id: 'ASC' },
      take: READ_BATCH,
    });
    if (rows.length === 0) return false;
    await this.sinks.publish(rows.map(toEvent));
    await repository.update({ id: In(rows.map((row) => row.id)) }, { publishedAt: new Date() });
    return true;
  }

  /** Sends the oldest published events to Pusher; false when there were none or delivery must wait. */
  private async pushBatch(): Promise<boolean> {
    const repository = this.dataSource.getRepository(OutboxEvent);
    const rows = await repository.find({
      where: { publishedAt: Not(IsNull()) },
      order: { id: 'ASC' },
      take: READ_BATCH,
    });
    if (rows.length === 0) return false;
    for (const group of this.requestGroups(rows)) {
      const outcome = await this.sinks.push(group.map(toEvent));
      if (outcome.delivered) {
        await repository.delete({ id: In(group.map((row) => row.id)) });
        this.backoffMs = this.minBackoffMs;
        continue;
      }
      if (outcome.retry) {
        await repository.increment({ id: In(group.map((row) => row.id)) }, 'attempts', 1);
        this.logger.warn(
          { error: outcome.error, retryInMs: this.backoffMs },
          'Pusher delivery failed; will retry',
        );
        this.pushBlockedUntil = Date.now() + this.backoffMs;
        this.schedule(this.backoffMs);
        this.backoffMs = Math.min(this.backoffMs * 2, this.maxBackoffMs);
        return false;
      }
      await this.dropRefused(group);
    }
    return true;
  }

  /** A refused batch may hold one bad event: each is tried alone, and only the refused ones are dropped. */
  private async dropRefused(group: OutboxEvent[]): Promise<void> {
    const repository = this.dataSource.getRepository(OutboxEvent);
    for (const row of group) {
      const outcome =
        group.length === 1 ? { delivered: false, retry: false } : await this.sinks.push([toEvent(row)]);
      if (!outcome.delivered && 'retry' in outcome && outcome.retry) return;
      if (!outcome.delivered) {
        this.logger.error({ event: toEvent(row) }, 'Pusher refused the event; it is dropped');
      }
      await repository.delete({ id: row.id });
    }
  }

  /** Consecutive rows packed into requests of at most `maxPushEntries` channel deliveries each. */
  private requestGroups(rows: OutboxEvent[]): OutboxEvent[][] {
    const groups: OutboxEvent[][] = [];
    let entries = Infinity;
    for (const row of rows) {
      const size = row.recipientIds.length;
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

  private async unlock(runner: QueryRunner): Promise<void> {
    try {
      await runner.query('SELECT pg_advisory_unlock($1)', [DRAIN_LOCK_KEY]);
    } finally {
      await runner.release();
    }
  }
}
