import type { DataSource } from 'typeorm';
import { EventLog } from '../delivery/event-log';
import { cursorAhead, cursorExpired } from '../errors';
import { REPLAYABLE_EVENT_NAMES, type RealtimeEventName } from '../events/realtime-event';
import { readUnreadCounts, type UnreadCounts } from '../events/unread-counts';
import { targetUserId, type Viewer } from './viewer';

/** One recorded event, as a client catching up reads it. */
export interface RecordedEvent {
  readonly id: string;
  readonly name: RealtimeEventName;
  readonly createdAt: Date;
  /** The exact Pusher event data. */
  readonly payload: string;
}

export interface RecordedEventPage {
  readonly events: RecordedEvent[];
  readonly hasMore: boolean;
  /** Where to resume: the last event of the page, else the position asked for (or, without one, the newest). */
  readonly lastId: string;
}

export const MAX_EVENT_PAGE_SIZE = 100;

interface EventRow {
  readonly event_id: string;
  readonly event_name: RealtimeEventName;
  readonly payload: string;
  readonly created_at: Date;
}

/**
 * The catch-up of a client that was away: the events addressed to a user after an event id, from the log, which
 * keeps them `retentionHours`, found through `event_recipients` by (user, id) in order: a page costs what it
 * returns, whatever other users' events the log holds. An id is only a position: whose event it was, or whether it exists, changes
 * nothing in the answer.
 */
export class RealtimeEventService {
  private readonly log: EventLog;

  constructor(
    private readonly dataSource: DataSource,
    private readonly retentionHours: number,
  ) {
    this.log = new EventLog(dataSource);
  }

  /** The viewer's events (an admin's: any user's) after `after`; without it, none and the newest id. */
  async page(
    viewer: Viewer,
    options: { after?: string; first?: number; userId?: number },
  ): Promise<RecordedEventPage> {
    const userId = targetUserId(viewer, options.userId);
    // Read your writes: what committed and is not numbered yet (for milliseconds after a commit) is numbered first.
    await this.log.sequence();
    if (options.after === undefined)
      return { events: [], hasMore: false, lastId: await this.newestId(userId) };
    await this.assertResumable(userId, options.after);
    return this.read(userId, options.after, options.first ?? MAX_EVENT_PAGE_SIZE);
  }

  /**
   * Refuses a resume that may have lost events: a replayable one addressed to the user after `after` is older
   * than the retention period, or was pruned; or `after` is past the newest event there ever was (a client
   * holding a cursor from before a restore would otherwise wait for ids that come to mean other events). A user
   * who had no event since `after` can always resume.
   */
  async assertResumable(userId: number, after: string): Promise<void> {
    // Ids are drawn from the log's sequence only: one above its last value was never handed to anyone.
    const [{ expired, ahead }] = (await this.dataSource.query(
      `SELECT EXISTS (SELECT 1 FROM event_recipients AS r JOIN event_outbox AS e USING (event_id)
                       WHERE r.user_id = $1 AND r.event_id > $2 AND e.event_name = ANY($4)
                         AND e.created_at < now() - make_interval(hours => $3))
           OR EXISTS (SELECT 1 FROM event_retention_marks WHERE user_id = $1 AND pruned_through > $2)
           AS expired,
              $2::bigint > (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM event_outbox_event_id_seq)
           AS ahead`,
      [userId, after, this.retentionHours, REPLAYABLE_EVENT_NAMES],
    )) as { expired: boolean; ahead: boolean }[];
    if (ahead) throw cursorAhead('after');
    if (expired) throw cursorExpired('after', this.retentionHours);
  }

  /** Up to `first` events after `after`, oldest first; call `assertResumable` first. */
  async read(userId: number, after: string, first: number): Promise<RecordedEventPage> {
    const rows = (await this.dataSource.query(
      `SELECT e.event_id, e.event_name, e.payload, e.created_at
         FROM event_recipients AS r JOIN event_outbox AS e USING (event_id)
        WHERE r.user_id = $1 AND r.event_id > $2 AND e.event_name = ANY($3)
        ORDER BY r.event_id
        LIMIT $4`,
      [userId, after, REPLAYABLE_EVENT_NAMES, first + 1],
    )) as EventRow[];
    const events = rows.slice(0, first).map((row) => ({
      id: row.event_id,
      name: row.event_name,
      createdAt: new Date(row.created_at),
      payload: row.payload,
    }));
    return {
      events,
      hasMore: rows.length > first,
      lastId: events.length > 0 ? events[events.length - 1].id : after,
    };
  }

  /** The position "now" for a user: the newest event addressed to them, recorded or pruned; "0" for none yet. */
  async newestId(userId: number): Promise<string> {
    const [{ id }] = (await this.dataSource.query(
      `SELECT greatest(
                (SELECT max(event_id) FROM event_recipients WHERE user_id = $1),
                (SELECT pruned_through FROM event_retention_marks WHERE user_id = $1),
                0)::text AS id`,
      [userId],
    )) as { id: string }[];
    return id;
  }

  /** The viewer's unread badges, counted now. */
  unreadCounts(viewer: Viewer): Promise<UnreadCounts> {
    return readUnreadCounts(this.dataSource.manager, viewer.user.id);
  }
}
