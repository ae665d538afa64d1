import type { User } from '../entities';
import { mayReadContact as allowed } from '../services/viewer';
import type { GraphQLContext } from './context';

// Users handed back to themselves before any viewer is authenticated: the login, register and refresh answers.
const ownProfiles = new WeakSet<User>();

/** Marks a user returned to the person who just proved to be them, so their contact fields stay visible. */
export function asOwnProfile(user: User): User {
  ownProfiles.add(user);
  return user;
}

/**
 * Whether the operation's viewer may read the user's email, phone number and address: the user or an admin.
 * Synchronous once the viewer is known, as it is for all but the first of the many users of one response.
 */
export function mayReadContact(context: GraphQLContext, user: User): boolean | Promise<boolean> {
  if (ownProfiles.has(user)) return true;
  const known = context.viewer.settled();
  if (known !== undefined) return allowed(known, user);
  return context.viewer().then(
    (viewer) => allowed(viewer, user),
    () => false,
  );
}
