import { AuthSession } from './auth-session';
import { EventRecipient } from './event-recipient';
import { EventRetentionMark } from './event-retention-mark';
import { FeedInstance } from './feed-instance';
import { FeedPartition } from './feed-partition';
import { LegacyImportMark } from './legacy-import-mark';
import { Message } from './message';
import { Notification } from './notification';
import { OutboxEvent } from './outbox-event';
import { PendingEvent } from './pending-event';
import { RefreshToken } from './refresh-token';
import { UnreadCounter } from './unread-counter';
import { UnseenPair } from './unseen-pair';
import { User } from './user';

export {
  AuthSession,
  EventRecipient,
  EventRetentionMark,
  FeedInstance,
  FeedPartition,
  LegacyImportMark,
  Message,
  Notification,
  OutboxEvent,
  PendingEvent,
  RefreshToken,
  UnreadCounter,
  UnseenPair,
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
  PendingEvent,
  UnreadCounter,
  UnseenPair,
  EventRetentionMark,
  FeedPartition,
  FeedInstance,
  LegacyImportMark,
  EventRecipient,
];
