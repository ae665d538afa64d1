import type { User } from '../entities';
import { isAdmin } from '../services/viewer';
import type { GraphQLContext } from './context';

// Users handed back to themselves before any viewer is authenticated: the login, register and refresh answers.
const ownProfiles = new WeakSet<User>();

/** Marks a user returned to the person who just proved to be them, so their contact fields stay visible. */
export function asOwnProfile(user: User): User {
  ownProfiles.add(user);
  return user;
}

/** Whether the operation's viewer may read the user's email, phone number and address: the user or an admin. */
export async function mayReadContact(context: GraphQLContext, user: User): Promise<boolean> {
  if (ownProfiles.has(user)) return true;
  const viewer = await context.viewer().catch(() => undefined);
  return viewer !== undefined && (viewer.user.id === user.id || isAdmin(viewer));
}
