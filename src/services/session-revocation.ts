import { type EntityManager, IsNull, Not } from 'typeorm';
import { AuthSession } from '../entities';

/** Which of a user's live sessions to end: all, just one, or all but one. */
export type SessionFilter = { readonly only?: string; readonly except?: string };

/** Ends a user's sessions inside the caller's transaction; their access and refresh tokens stop working. */
export async function revokeSessions(manager: EntityManager, userId: number, filter: SessionFilter = {}) {
  const id = filter.only ?? (filter.except === undefined ? undefined : Not(filter.except));
  const sessions = await manager.findBy(AuthSession, {
    userId,
    revokedAt: IsNull(),
    ...(id === undefined ? {} : { id }),
  });
  const now = new Date();
  for (const session of sessions) session.revokedAt = now;
  await manager.save(sessions);
}
