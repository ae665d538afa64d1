import type { SessionFilter } from '../services/session-revocation';

/** Sessions of a user that ended (logout, ban, password change, a replayed refresh token). */
export interface SessionRevocation extends SessionFilter {
  readonly userId: number;
}

/** Where services announce ended sessions, after their transaction committed. */
export interface SessionNotices {
  revoked(revocation: SessionRevocation): void;
}
