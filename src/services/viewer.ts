import { forbidden } from '../errors';
import { UserRole, type User } from '../entities';

/** The authenticated user of a request or socket, and the login session its token belongs to. */
export interface Viewer {
  readonly user: User;
  readonly sessionId: string;
  /** The session's token generation when the viewer came from an access token. */
  readonly tokenGeneration?: number;
}

export const isAdmin = (viewer: Viewer): boolean => viewer.user.role === UserRole.ADMIN;

export function requireAdmin(viewer: Viewer): void {
  if (!isAdmin(viewer)) throw forbidden('Only an admin may do this.');
}

/** Whether the viewer may read a user's email, phone number and address: that user themselves or an admin. */
export const mayReadContact = (viewer: Viewer | null, user: Pick<User, 'id'>): boolean =>
  viewer !== null && (viewer.user.id === user.id || isAdmin(viewer));

/**
 * Whose data a query reads: the viewer's own, or with `userId` another user's, which only an admin may read.
 */
export function targetUserId(viewer: Viewer, userId: number | undefined): number {
  if (userId === undefined || userId === viewer.user.id) return viewer.user.id;
  if (!isAdmin(viewer)) throw forbidden("Only an admin may read another user's data.");
  return userId;
}
