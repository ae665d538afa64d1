import type { SessionFilter } from '../services/session-revocation';

/** Sessions of a user that ended (logout, ban, password change, a replayed refresh token). */
export interface SessionRevocation extends SessionFilter {
  readonly userId: number;
}

/** Where services announce ended sessions, after their transaction committed. */
export interface SessionNotices {
  revoked(revocation: SessionRevocation): void;
}

/** Whether a revocation ends the session `sessionId` of user `userId`. */
export function endsSession(revocation: SessionRevocation, userId: number, sessionId: string): boolean {
  return (
    userId === revocation.userId &&
    (revocation.only === undefined || sessionId === revocation.only) &&
    (revocation.except === undefined || sessionId !== revocation.except)
  );
}
