import { AuthSession } from './auth-session';
import { Message } from './message';
import { Notification } from './notification';
import { OutboxEvent } from './outbox-event';
import { RefreshToken } from './refresh-token';
import { User } from './user';

export { AuthSession, Message, Notification, OutboxEvent, RefreshToken, User };
export * from './enums';

export const entities = [User, Message, Notification, AuthSession, RefreshToken, OutboxEvent];
