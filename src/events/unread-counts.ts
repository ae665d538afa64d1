import type { EntityManager } from 'typeorm';

/** What a user's unread badges show. */
export interface UnreadCounts {
  readonly unseenMessages: number;
  readonly unseenConversations: number;
  readonly unseenNotifications: number;
}

export interface UserUnreadCounts extends UnreadCounts {
  readonly userId: number;
}

interface CountsRow {
  readonly user_id: number;
  readonly unseen_messages: number;
  readonly unseen_conversations: number;
  readonly unseen_notifications: number;
}

// One row per user of $1, each count served by the (receiver_id, status) indexes.
const COUNTS_SQL = `
  SELECT u.user_id,
         (SELECT count(*)::int FROM messages m
           WHERE m.receiver_id = u.user_id AND m.status = 'unseen') AS unseen_messages,
         (SELECT count(DISTINCT m.sender_id)::int FROM messages m
           WHERE m.receiver_id = u.user_id AND m.status = 'unseen') AS unseen_conversations,
         (SELECT count(*)::int FROM notifications n
           WHERE n.receiver_id = u.user_id AND n.status = 'unseen') AS unseen_notifications
    FROM unnest($1::int[]) AS u(user_id)`;

const fromRow = (row: CountsRow): UserUnreadCounts => ({
  userId: row.user_id,
  unseenMessages: row.unseen_messages,
  unseenConversations: row.unseen_conversations,
  unseenNotifications: row.unseen_notifications,
});

/** The current counts of one user. */
export async function readUnreadCounts(manager: EntityManager, userId: number): Promise<UnreadCounts> {
  const [row] = (await manager.query(COUNTS_SQL, [[userId]])) as CountsRow[];
  return fromRow(row);
}

/**
 * The users among `userIds` whose counts differ from those last announced, with their new counts, which are
 * recorded as announced in the same statement. Run inside the transaction of the change, under the users' locks,
 * so concurrent changes take turns and each announces only what it moved.
 */
export async function recordChangedUnreadCounts(
  manager: EntityManager,
  userIds: readonly number[],
): Promise<UserUnreadCounts[]> {
  const rows = (await manager.query(
    `WITH now_counts AS (${COUNTS_SQL}),
          changed AS (
            SELECT c.* FROM now_counts c LEFT JOIN unread_counts s ON s.user_id = c.user_id
             WHERE (c.unseen_messages, c.unseen_conversations, c.unseen_notifications)
                   IS DISTINCT FROM (coalesce(s.unseen_messages, 0), coalesce(s.unseen_conversations, 0),
                                     coalesce(s.unseen_notifications, 0))),
          saved AS (
            INSERT INTO unread_counts (user_id, unseen_messages, unseen_conversations, unseen_notifications)
            SELECT user_id, unseen_messages, unseen_conversations, unseen_notifications FROM changed
            ON CONFLICT (user_id) DO UPDATE
               SET unseen_messages = EXCLUDED.unseen_messages,
                   unseen_conversations = EXCLUDED.unseen_conversations,
                   unseen_notifications = EXCLUDED.unseen_notifications)
     SELECT * FROM changed ORDER BY user_id`,
    [userIds],
  )) as CountsRow[];
  return rows.map(fromRow);
}

/** The Pusher data of `UnreadCountsUpdated`, keys in this order. */
export function unreadCountsPayload(counts: UnreadCounts): string {
  return JSON.stringify({
    unseen_messages: counts.unseenMessages,
    unseen_conversations: counts.unseenConversations,
    unseen_notifications: counts.unseenNotifications,
  });
}

/** The counts an `UnreadCountsUpdated` payload carries. */
export function fromUnreadCountsPayload(payload: string): UnreadCounts {
  const data = JSON.parse(payload) as {
    unseen_messages: number;
    unseen_conversations: number;
    unseen_notifications: number;
  };
  return {
    unseenMessages: data.unseen_messages,
    unseenConversations: data.unseen_conversations,
    unseenNotifications: data.unseen_notifications,
  };
}
