import type { DataSource } from 'typeorm';
import { forbidden } from '../../errors';
import { isAdmin, type Viewer } from '../../services/viewer';

/**
 * Whose presence a viewer may see: their own, that of anyone who has written to them, and, for an admin, everyone's.
 * A message the viewer sent does not count: anyone may message anyone, so one unanswered "hi" must not unlock a
 * stranger's presence. One query for the whole list.
 */
export async function watchableUsers(
  dataSource: DataSource,
  viewer: Viewer,
  userIds: readonly number[],
): Promise<Set<number>> {
  if (isAdmin(viewer)) return new Set(userIds);
  const others = userIds.filter((id) => id !== viewer.user.id);
  const allowed = new Set(userIds.filter((id) => id === viewer.user.id));
  if (others.length === 0) return allowed;
  const rows: { user_id: number }[] = await dataSource.query(
    'SELECT DISTINCT sender_id AS user_id FROM messages WHERE receiver_id = $1 AND sender_id = ANY($2::int[])',
    [viewer.user.id, others],
  );
  for (const row of rows) allowed.add(Number(row.user_id));
  return allowed;
}

/**
 * The reverse question: which of `viewerIds` may see the presence of `userId` (the same rule, from each viewer's
 * side: admins, and those the user has written to; a viewer's own message to the user does not count). One query.
 */
export async function whoMaySee(
  dataSource: DataSource,
  userId: number,
  viewerIds: readonly number[],
): Promise<Set<number>> {
  const ids = viewerIds.filter((id) => Number.isInteger(id) && id > 0 && id <= 2 ** 31 - 1 && id !== userId);
  if (ids.length === 0) return new Set();
  const rows: { user_id: number }[] = await dataSource.query(
    `SELECT u.user_id FROM users u
      WHERE u.user_id = ANY($2::int[])
        AND (u.role = 'admin'
             OR EXISTS (SELECT 1 FROM messages m WHERE m.sender_id = $1 AND m.receiver_id = u.user_id))`,
    [userId, ids],
  );
  return new Set(rows.map((row) => Number(row.user_id)));
}

/** Refuses (FORBIDDEN) unless the viewer may see the presence of every one of the users. */
export async function assertMayWatch(
  dataSource: DataSource,
  viewer: Viewer,
  userIds: readonly number[],
): Promise<void> {
  const allowed = await watchableUsers(dataSource, viewer, userIds);
  const refused = userIds.filter((id) => !allowed.has(id));
  if (refused.length > 0) {
    throw forbidden(
      `You may only see the presence of people who have written to you (not ${refused.join(', ')}).`,
    );
  }
}
