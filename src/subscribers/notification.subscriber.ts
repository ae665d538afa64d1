import { type EntityManager, EventSubscriber } from 'typeorm';
import { Notification } from '../entities/notification';
import { RealtimeEventName } from '../events/realtime-event';
import { stageBulkUpdate } from './bulk-update-staging';
import { OutboxEntitySubscriber } from './outbox-entity.subscriber';

// The columns the receiver's unread counts depend on.
const COUNTED_COLUMNS = ['status', 'receiver_id'];

const updatedFor = (notification: Notification): number[] => [notification.receiverId];

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
    return updatedFor(notification);
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

/** The events of notifications one set-based update changed (each a status change), as the subscriber stages a save(). */
export function stageNotificationsUpdated(
  manager: EntityManager,
  notifications: readonly Notification[],
): Promise<void> {
  return stageBulkUpdate(manager, {
    target: Notification,
    name: RealtimeEventName.NOTIFICATION_UPDATED,
    rows: notifications,
    recipientsOf: updatedFor,
    countsOf: [...new Set(notifications.map((notification) => notification.receiverId))],
  });
}
