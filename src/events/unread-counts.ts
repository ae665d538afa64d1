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

const fromRow = (row: CountsRow): UserUnreadCounts => ({
  userId: row.user_id,
  unseenMessages: row.unseen_messages,
  unseenConversations: row.unseen_conversations,
  unseenNotifications: row.unseen_notifications,
});

/**
 * The current counts of one user: one row by its key, kept up to date by the triggers on `messages` and
 * `notifications` (see the `UnreadCounter` entity). No row means nothing was ever unseen.
 */
export async function readUnreadCounts(manager: EntityManager, userId: number): Promise<UnreadCounts> {
  const [row] = (await manager.query(
    `SELECT user_id, unseen_messages, unseen_conversations, unseen_notifications
       FROM unread_counts WHERE user_id = $1`,
    [userId],
  )) as CountsRow[];
  return fromRow(
    row ?? { user_id: userId, unseen_messages: 0, unseen_conversations: 0, unseen_notifications: 0 },
  );
}

/**
 * A statement part (`WITH announced AS (…)`) that records as announced the counts of the users in the int[]
 * parameter `$<usersParameter>` that differ from those last announced, and returns those users with their counts
 * and the `UnreadCountsUpdated` payload (`payload`, byte for byte `unreadCountsPayload`); one key lookup per user,
 * whatever their inboxes hold. Run at the commit of the change: a transaction that moved a user's counts holds
 * that user's counter row from its change to its commit (the triggers' update), so concurrent changes announce in
 * turn, each the counts it left, without any other lock.
 */
export function announcedCountsSql(usersParameter: number): string {
  return `announced AS (
    UPDATE unread_counts
       SET announced_messages = unseen_messages,
           announced_conversations = unseen_conversations,
           announced_notifications = unseen_notifications
     WHERE user_id = ANY($${usersParameter}::int[])
       AND (unseen_messages, unseen_conversations, unseen_notifications)
           IS DISTINCT FROM (announced_messages, announced_conversations, announced_notifications)
     RETURNING user_id, unseen_messages, unseen_conversations, unseen_notifications,
               format('{"unseen_messages":%s,"unseen_conversations":%s,"unseen_notifications":%s}',
                      unseen_messages, unseen_conversations, unseen_notifications) AS payload)`;
}

/**
 * Records as announced the counts of the users among `userIds` that differ from those last announced, and returns
 * those users with their counts, without announcing anything (an import settling what its rows left).
 */
export async function recordChangedUnreadCounts(
  manager: EntityManager,
  userIds: readonly number[],
): Promise<UserUnreadCounts[]> {
  const rows = (await manager.query(
    `WITH ${announcedCountsSql(1)}
     SELECT user_id, unseen_messages, unseen_conversations, unseen_notifications FROM announced ORDER BY user_id`,
    [userIds],
  )) as CountsRow[];
  return rows.map(fromRow);
}

/** The Pusher data of `UnreadCountsUpdated`, keys in this order (`announcedCountsSql` writes the same in SQL). */
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
