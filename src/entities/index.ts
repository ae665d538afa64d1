import { AuthSession } from './auth-session';
import { EventRetentionMark } from './event-retention-mark';
import { Message } from './message';
import { Notification } from './notification';
import { OutboxEvent } from './outbox-event';
import { RefreshToken } from './refresh-token';
import { UnreadCountsSent } from './unread-counts-sent';
import { User } from './user';

export {
  AuthSession,
  EventRetentionMark,
  Message,
  Notification,
  OutboxEvent,
  RefreshToken,
  UnreadCountsSent,
  User,
};
export * from './enums';

export const entities = [
  User,
  Message,
  Notification,
  AuthSession,
  RefreshToken,
  OutboxEvent,
  UnreadCountsSent,
  EventRetentionMark,
];
