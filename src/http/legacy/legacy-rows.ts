import type { DataSource } from 'typeorm';
import { Message, Notification, User } from '../../entities';
import { toLegacyModel } from '../../events/legacy-model';
import { mayReadContact, type Viewer } from '../../services/viewer';

// Eloquent's row JSON, from the function the Pusher payloads are made with, so both show a row the same way.

/** Never shown: the legacy model hid `password`; `last_seen_at` is presence, only for those who may see it. */
const HIDDEN_USER_COLUMNS = ['password', 'last_seen_at'];
const CONTACT_COLUMNS = ['email', 'phonenumber', 'address'];

/**
 * A `users` row as the legacy apps read it, contact data null unless the viewer is the user or an admin (`self`:
 * the user who just proved to be them, as a login answer).
 */
export function userRow(
  dataSource: DataSource,
  user: User,
  viewer: Viewer | null | 'self',
): Record<string, unknown> {
  const row = toLegacyModel(dataSource.getMetadata(User), user);
  for (const column of HIDDEN_USER_COLUMNS) delete row[column];
  const shown = viewer === 'self' || mayReadContact(viewer, user);
  if (!shown) for (const column of CONTACT_COLUMNS) row[column] = null;
  return row;
}

export const messageRow = (dataSource: DataSource, message: Message): Record<string, unknown> =>
  toLegacyModel(dataSource.getMetadata(Message), message);

export const notificationRow = (
  dataSource: DataSource,
  notification: Notification,
): Record<string, unknown> => toLegacyModel(dataSource.getMetadata(Notification), notification);
