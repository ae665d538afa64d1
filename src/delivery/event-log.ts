import type { DataSource } from 'typeorm';
import { REPLAYABLE_EVENT_NAMES, type RealtimeEvent, type RealtimeEventName } from '../events/realtime-event';

/** One log row as the delivery's own queries return it. */
export interface LogRow {
  readonly event_id: string;
  readonly event_name: string;
  readonly recipient_ids: number[];
  readonly payload: string;
  readonly created_at: Date;
}

export const LOG_COLUMNS = 'event_id, event_name, recipient_ids, payload, created_at';

export const toEvent = (row: LogRow): RealtimeEvent => ({
  id: row.event_id,
  name: row.event_name as RealtimeEventName,
  recipientIds: row.recipient_ids,
  payload: row.payload,
  createdAt: new Date(row.created_at).toISOString(),
});

const PRUNE_BATCH = 5000;
/** How many staged events one sequencing moves into the log at most. */
const SEQUENCE_BATCH = 5000;

/**
 * The event log (`event_outbox`), the one source of every sink. Writers stage events in `event_outbox_pending`
 * within their own transaction and never wait on each other; `sequence()` moves committed ones into the log in one
 * statement, drawing their event ids in the order it sees them, one sequencing at a time. So ids increase in commit
 * order (a transaction that waited on another's row lock stages its event after that one committed), and no row
 * ever appears below an id a reader has passed: a reader's position is just the last id it read.
 *
 * Why not ids drawn at insert and a reader held below the transaction horizon: the horizon orders by
 * transaction id, which is not commit order when the transaction that took its id first waits on a later one.
 */
export class EventLog {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Numbers what was committed since the last sequencing, sending no notice (a catch-up making sure it reads the
   * newest); the newest id, and how many were added.
   */
  async sequence(): Promise<{ head: string; added: number }> {
    const [row] = (await this.dataSource.query('SELECT head::text, added FROM event_log_sequence($1, NULL)', [
      SEQUENCE_BATCH,
    ])) as { head: string; added: number }[];
    return row;
  }

  /**
   * A reader's sequencing and its first read in one round trip (`event_log_advance`): numbers what was committed
   * (with `notice`, a sequencing that added events sends `NOTIFY event_log` with `notice` and the newest id, in the
   * same statement), then returns up to `limit` events after `position`, with how many it added.
   */
  async advance(
    position: string,
    limit: number,
    notice?: string,
  ): Promise<{ rows: LogRow[]; added: number }> {
    const rows = (await this.dataSource.query(
      `SELECT ${LOG_COLUMNS}, added FROM event_log_advance($1, $2, $3, $4)`,
      [SEQUENCE_BATCH, notice ?? null, position, limit],
    )) as (LogRow & { added: number })[];
    return { rows, added: rows[0]?.added ?? 0 };
  }

  /** The newest id in the log ("0" when it is empty): where a reader starting now begins. */
  async head(): Promise<string> {
    const [{ head }] = (await this.dataSource.query(
      'SELECT coalesce(max(event_id), 0)::text AS head FROM event_outbox',
    )) as { head: string }[];
    return head;
  }

  /** Up to `limit` events after `position`, in id order. */
  async after(position: string, limit: number): Promise<LogRow[]> {
    return (await this.dataSource.query(
      `SELECT ${LOG_COLUMNS} FROM event_outbox WHERE event_id > $1 ORDER BY event_id LIMIT $2`,
      [position, limit],
    )) as LogRow[];
  }

  /** Events staged and not yet numbered, plus (with an outside Pusher service) those it still waits for. */
  async backlog(outsidePusher: boolean): Promise<{ pending: number; oldestAgeSeconds: number }> {
    const [row] = (await this.dataSource.query(
      `SELECT sum(n)::int AS pending, coalesce(extract(epoch FROM now() - min(oldest)), 0)::float AS age
         FROM (SELECT count(*) AS n, min(created_at) AS oldest FROM event_outbox_pending
               UNION ALL
               SELECT count(*), min(created_at) FROM event_outbox
                WHERE $1 AND dead_at IS NULL
                  AND event_id > (SELECT coalesce(min(position), 0) FROM event_feed_partitions)) AS parts`,
      [outsidePusher],
    )) as { pending: number; age: number }[];
    return { pending: row.pending, oldestAgeSeconds: row.age };
  }

  /**
   * Deletes events older than the retention period (with an outside Pusher service: once every partition of its feed is past them),
   * and records per recipient the newest replayable one deleted, so a resume from before it answers
   * CURSOR_EXPIRED; returns how many. Several instances may prune at once: each row goes once.
   */
  async prune(retentionHours: number, outsidePusher: boolean): Promise<number> {
    let total = 0;
    // In batches, so each statement stays short (DATABASE_STATEMENT_TIMEOUT) however much is due.
    for (;;) {
      const [{ count }] = (await this.dataSource.query(
        `WITH pruned AS (
           DELETE FROM event_outbox
            WHERE event_id IN (
              SELECT event_id FROM event_outbox
               WHERE created_at < now() - make_interval(hours => $1)
                 AND (NOT $3 OR dead_at IS NOT NULL
                      OR event_id <= (SELECT coalesce(min(position), 0) FROM event_feed_partitions))
               ORDER BY event_id LIMIT $4)
           RETURNING event_id, event_name, recipient_ids),
         marked AS (
           INSERT INTO event_retention_marks (user_id, pruned_through)
           SELECT recipient, max(event_id) FROM pruned, unnest(recipient_ids) AS recipient
            WHERE event_name = ANY($2) GROUP BY recipient
           ON CONFLICT (user_id) DO UPDATE
              SET pruned_through = greatest(event_retention_marks.pruned_through, EXCLUDED.pruned_through))
         SELECT count(*)::int AS count FROM pruned`,
        [retentionHours, REPLAYABLE_EVENT_NAMES, outsidePusher, PRUNE_BATCH],
      )) as { count: number }[];
      total += count;
      if (count < PRUNE_BATCH) return total;
    }
  }
}
