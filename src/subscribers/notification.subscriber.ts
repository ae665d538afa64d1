import { EventSubscriber } from 'typeorm';
import { Notification } from '../entities/notification';
import { RealtimeEventName } from '../events/realtime-event';
import { OutboxEntitySubscriber } from './outbox-entity.subscriber';

// The columns the receiver's unread counts depend on.
const COUNTED_COLUMNS = ['status', 'receiver_id'];

/** NotificationCreated and, when a value changed, NotificationUpdated go to the receiver. */
@EventSubscriber()
export class NotificationSubscriber extends OutboxEntitySubscriber<Notification> {
  protected readonly created = RealtimeEventName.NOTIFICATION_CREATED;
  protected readonly updated = RealtimeEventName.NOTIFICATION_UPDATED;

  listenTo() {
    return Notification;
  }

  protected createdFor(notification: Notification): number[] {
    return [notification.receiverId];
  }

  protected updatedFor(notification: Notification): number[] {
    return [notification.receiverId];
  }

  protected unreadCountsOf(
    changed: readonly string[] | 'inserted',
    before: Notification | undefined,
    after: Notification,
  ): number[] {
    if (changed !== 'inserted' && !changed.some((column) => COUNTED_COLUMNS.includes(column))) return [];
    return [...new Set([before?.receiverId ?? after.receiverId, after.receiverId])];
  }
}
