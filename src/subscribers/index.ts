import { MessageSubscriber } from './message.subscriber';
import { NotificationSubscriber } from './notification.subscriber';
import { SessionChangeSubscriber } from './session-change.subscriber';
import { TransactionSubscriber } from './transaction.subscriber';

export const subscribers = [
  MessageSubscriber,
  NotificationSubscriber,
  TransactionSubscriber,
  SessionChangeSubscriber,
];
